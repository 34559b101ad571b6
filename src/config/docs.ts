/**
 * The settings table of docs/configuration.md, generated from CONFIG_KEYS so the two cannot
 * drift: `node --import tsx src/config/docs.ts` rewrites the table in place, and a test fails when
 * the committed table differs from what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS } from './index.ts';

export const TABLE_START = '<!-- settings table: generated from CONFIG_KEYS by `node --import tsx src/config/docs.ts`; do not edit by hand -->';
export const TABLE_END = '<!-- end of generated settings table -->';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderConfigTable(): string {
  const rows = CONFIG_KEYS.map((k) => {
    const env = [
      `\`${k.env}\``,
      ...(k.fallbackEnv ?? []).map((e) => `then \`${e}\``),
      ...(k.deprecatedEnv ?? []).map((e) => `(deprecated: \`${e}\`)`),
    ].join(' ');
    return `| \`${k.flag}\` | ${env} | \`${k.key}\` | ${cell(k.defaultText)} | ${cell(k.meaning)} |`;
  });
  return ['| flag | env | config key | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The doc with its generated table replaced by the current one. */
export function withCurrentTable(doc: string, file = 'docs/configuration.md'): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${file}: generated-table markers not found`);
  return `${doc.slice(0, start + TABLE_START.length)}\n${renderConfigTable()}\n${doc.slice(end)}`;
}

export const CONFIGURATION_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/configuration.md');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIGURATION_DOC, withCurrentTable(readFileSync(CONFIGURATION_DOC, 'utf8')));
  process.stdout.write(`updated ${CONFIGURATION_DOC}\n`);
}
