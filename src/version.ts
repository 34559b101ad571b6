import { readFileSync } from 'node:fs';

/** Portwarden's version, from package.json (one source of truth for reports and `--version`). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
