/**
 * cargo-auditable dependency data in Rust executables: a `.dep-v0` section (ELF, PE; Mach-O
 * `__DATA,.dep-v0`) holding zlib-compressed JSON
 * `{"packages":[{"name","version","source","kind"?,"dependencies"?,"root"?}]}`. Pure.
 */
import { inflateSync } from 'node:zlib';
import { parseExecutable, sectionData, type Executable } from '../../binary/exe.ts';

export interface AuditablePackage {
  name: string;
  version: string;
  /** `crates.io`, `git`, `local`, `registry` or `other`. */
  source: string;
  /** `runtime` (default) or `build`. */
  kind: 'runtime' | 'build';
  root: boolean;
  dependencies: number[];
}

// cargo-auditable caps its own output well below this; more means a corrupt or hostile section.
const MAX_INFLATED = 8 * 1024 * 1024;

/** Returns undefined when the executable has no `.dep-v0` section; throws on corrupt data. */
export function readAuditableData(buf: Buffer, exe: Executable = parseExecutable(buf)): AuditablePackage[] | undefined {
  const section = sectionData(buf, exe, '.dep-v0');
  if (!section) return undefined;
  let json: string;
  try {
    json = inflateSync(section, { maxOutputLength: MAX_INFLATED }).toString('utf8');
  } catch (err) {
    throw new Error(`.dep-v0 section: cannot inflate (${err instanceof Error ? err.message : String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new Error(`.dep-v0 section: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) throw new Error('.dep-v0 section: no "packages" array');
  const out: AuditablePackage[] = [];
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const p = item as Record<string, unknown>;
    if (typeof p.name !== 'string' || typeof p.version !== 'string') continue;
    out.push({
      name: p.name,
      version: p.version,
      source: typeof p.source === 'string' ? p.source : 'other',
      kind: p.kind === 'build' ? 'build' : 'runtime',
      root: p.root === true,
      dependencies: Array.isArray(p.dependencies) ? p.dependencies.filter((d): d is number => Number.isInteger(d)) : [],
    });
  }
  return out;
}
