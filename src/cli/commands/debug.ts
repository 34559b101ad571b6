/**
 * `portwarden debug …`: developer tools that expose internals for checking them against the
 * ecosystems' own tools.
 *
 * `debug compare-versions --ecosystem Debian` (or `--scheme dpkg`) reads `A<TAB>B` lines on stdin
 * and prints one line per input line: `<`, `=` or `>` for A compared with B, or `!` when the line is
 * not exactly two tab-separated fields or either version is invalid (a message naming the line
 * goes to stderr). Outputs stay aligned with inputs, so a checker can zip them line by line.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { getScheme, SCHEME_IDS, schemeForEcosystem } from '../../versions/index.ts';
import type { VersionScheme } from '../../versions/types.ts';
import { UserInputError, errorMessage } from '../../util/errors.ts';
import { action } from '../run.ts';

export function register(program: Command): void {
  const debug = program.command('debug').description('Developer tools: check internals against the ecosystems’ own tools');
  debug
    .command('compare-versions')
    .description('Compare version pairs read as "A<TAB>B" lines on stdin; prints <, =, > or ! per line')
    .option('--ecosystem <name>', 'OSV ecosystem name, e.g. Debian, "Alpine:v3.19", PyPI, Maven')
    .option('--scheme <id>', `version scheme id instead of an ecosystem: ${SCHEME_IDS.join(', ')}`)
    .action(
      action(async (opts: { ecosystem?: string; scheme?: string }) => {
        const scheme = pickScheme(opts, (msg) => process.stderr.write(`warning: ${msg}\n`));
        await compareVersionLines(scheme, process.stdin, process.stdout, process.stderr);
      }),
    );
}

function pickScheme(opts: { ecosystem?: string; scheme?: string }, warn: (msg: string) => void): VersionScheme {
  if (opts.ecosystem !== undefined && opts.scheme !== undefined) throw new UserInputError('give either --ecosystem or --scheme, not both');
  if (opts.scheme !== undefined) {
    if (!SCHEME_IDS.includes(opts.scheme)) throw new UserInputError(`unknown version scheme "${opts.scheme}"; known: ${SCHEME_IDS.join(', ')}`);
    return getScheme(opts.scheme);
  }
  if (opts.ecosystem === undefined) throw new UserInputError('give --ecosystem NAME or --scheme ID');
  const { scheme, confidence } = schemeForEcosystem(opts.ecosystem);
  if (confidence === 'low') warn(`unknown ecosystem "${opts.ecosystem}": using the generic version comparison (low confidence)`);
  return scheme;
}

/** Verdict for one input line, and the reason when it is `!`. */
export function compareLine(scheme: VersionScheme, line: string): { verdict: '<' | '=' | '>' | '!'; error?: string } {
  const fields = line.split('\t');
  if (fields.length !== 2) {
    return { verdict: '!', error: line.length === 0 ? 'empty line' : `expected "A<TAB>B", found ${fields.length} field(s)` };
  }
  const [a, b] = fields as [string, string];
  for (const v of [a, b]) {
    if (!scheme.isValid(v)) return { verdict: '!', error: `invalid ${scheme.id} version ${JSON.stringify(v)}` };
  }
  try {
    const r = scheme.compare(a, b);
    return { verdict: r < 0 ? '<' : r > 0 ? '>' : '=' };
  } catch (err) {
    return { verdict: '!', error: errorMessage(err) };
  }
}

const FLUSH_BYTES = 1 << 16;

/**
 * Streams `input` line by line (bounded memory for any input size) and writes one verdict line per
 * input line to `output`, honouring back-pressure. A trailing `\r` (CRLF input) is dropped.
 */
export async function compareVersionLines(scheme: VersionScheme, input: Readable, output: Writable, errors: Writable): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let pending = '';
  let lineNo = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending;
    pending = '';
    if (!output.write(chunk)) await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      output.once('error', onError);
      output.once('drain', () => {
        output.off('error', onError);
        resolve();
      });
    });
  };
  for await (const raw of rl) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const { verdict, error } = compareLine(scheme, line);
    pending += `${verdict}\n`;
    if (error !== undefined) errors.write(`line ${lineNo}: ${error}\n`);
    if (pending.length >= FLUSH_BYTES) await flush();
  }
  await flush();
}
