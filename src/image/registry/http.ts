/** Small helpers for undici responses from a registry: headers, bodies read with a bound or thrown away, error text. */
import type { Readable } from 'node:stream';

/** Error bodies are read for their message only. */
const MAX_ERROR_BODY = 64 * 1024;

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function headerAll(headers: Record<string, string | string[] | undefined>, name: string): string[] {
  const v = headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Drops a response body we will not read; undici reports the abort as an error, which is expected here. */
export function abandon(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

export async function drain(body: Readable): Promise<void> {
  try {
    for await (const _ of body) {
      // discard
    }
  } catch {
    // the body is being thrown away anyway
  }
}

/** Reads at most `max` bytes; more is an error (`tooLarge` builds it), and the connection is dropped. */
export async function readLimited(body: Readable, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > max) {
      abandon(body);
      throw tooLarge();
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export async function errorDetail(body: Readable): Promise<string> {
  let text: string;
  try {
    text = (await readLimited(body, MAX_ERROR_BODY, () => new Error('too large'))).toString('utf8');
  } catch {
    return '';
  }
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`.slice(0, 300);
  } catch {
    // not the Distribution error format
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
