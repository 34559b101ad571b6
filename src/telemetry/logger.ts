/** The service logger: pino, with credentials redacted wherever they could appear. */
import pino from 'pino';
import type { Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  '*.password',
  '*.token',
  'registry.creds',
  'registry.authByHost',
  '*.registry.creds',
  '*.registry.authByHost',
  'databaseUrl',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'portwarden' } }, destination);
}

export type { Logger };
