// Reads "A<TAB>B" lines on stdin, prints <, = or > per line with npm's semver.compare, "!" if either is invalid.
import { readFileSync } from 'node:fs';
import semver from 'semver';

const lines = readFileSync(0, 'utf8').split('\n');
lines.pop();
const out = [];
for (const line of lines) {
  const [a, b] = line.split('\t');
  if (semver.valid(a) === null || semver.valid(b) === null) out.push('!');
  else {
    const r = semver.compare(a, b);
    out.push(r < 0 ? '<' : r > 0 ? '>' : '=');
  }
}
process.stdout.write(out.map((v) => `${v}\n`).join(''));
