/**
 * Gemfile.lock (Bundler). Sources (`GEM`, `GIT`, `PATH`) list resolved gems under `specs:` at four
 * spaces (`name (version[-platform])`; their own dependencies follow at six spaces). Platform
 * suffixes are not part of the gem version. `DEPENDENCIES` names the Gemfile's direct
 * dependencies. `PATH` gems are local code (often the project itself) and are not reported.
 */

export interface LockedGem {
  name: string;
  version: string;
  platform?: string;
  indirect: boolean;
}

const SPEC = /^ {4}([^\s(]+) \(([^)\s]+)\)\s*$/;

export function parseGemfileLock(content: Buffer): LockedGem[] {
  const lines = content.toString('utf8').split(/\r?\n/);
  const gems: Omit<LockedGem, 'indirect'>[] = [];
  const direct = new Set<string>();
  let section = '';
  let inSpecs = false;
  for (const line of lines) {
    if (line === '' ) continue;
    if (!line.startsWith(' ')) {
      section = line.trim();
      inSpecs = false;
      continue;
    }
    if (section === 'DEPENDENCIES') {
      const m = /^ {2}([^\s!(]+)/.exec(line);
      if (m?.[1]) direct.add(m[1]);
      continue;
    }
    if (section !== 'GEM' && section !== 'GIT') continue;
    if (/^ {2}specs:\s*$/.test(line)) {
      inSpecs = true;
      continue;
    }
    if (/^ {2}\S/.test(line)) {
      inSpecs = false;
      continue;
    }
    if (!inSpecs) continue;
    const m = SPEC.exec(line);
    if (!m?.[1] || !m[2]) continue;
    const dash = m[2].indexOf('-');
    const version = dash < 0 ? m[2] : m[2].slice(0, dash);
    const platform = dash < 0 ? undefined : m[2].slice(dash + 1);
    gems.push(platform ? { name: m[1], version, platform } : { name: m[1], version });
  }
  // The same gem locked for several platforms is one package.
  const seen = new Set<string>();
  const out: LockedGem[] = [];
  for (const g of gems) {
    const id = `${g.name}@${g.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ ...g, indirect: direct.size > 0 ? !direct.has(g.name) : false });
  }
  return out;
}
