/**
 * The one list of CLI command groups. Adding a command: create commands/<name>.ts exporting
 * `register(program)` and add one import and one array entry here.
 */
import type { Command } from 'commander';
import { register as registerImage } from './image.ts';
import { register as registerServe } from './serve.ts';
import { register as registerWorker } from './worker.ts';
import { register as registerMigrate } from './migrate.ts';
import { register as registerToken } from './token.ts';
import { register as registerDebug } from './debug.ts';
import { register as registerExplain } from './explain.ts';
import { register as registerScan } from './scan.ts';
import { register as registerDb } from './db.ts';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerScan,
  registerDb,
  registerImage,
  registerServe,
  registerWorker,
  registerMigrate,
  registerToken,
  registerDebug,
  registerExplain,
];
