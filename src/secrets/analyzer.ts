/**
 * The secret analyzer: runs inside the single layer walk (scope `all-layers`), so every layer's
 * copy of every text file is scanned once, including files a later layer deleted (still
 * downloadable from the image, so still a finding, flagged `deleted`).
 */
import type { Analyzer, AnalyzerInput, Fragment } from '../analyzers/types.ts';
import type { FileMeta, ImageConfig } from '../image/types.ts';
import type { SecretFinding } from '../model/report.ts';
import type { SecretScanOptions } from './config.ts';
import { scanText } from './scan.ts';
import type { SecretRules } from './types.ts';

export const DEFAULT_SECRET_MAX_FILE_SIZE = 10 * 1024 * 1024;
const BINARY_SNIFF_BYTES = 8 * 1024;

/** Extensions of formats that are binary or compressed (matching their bytes finds only noise). */
const BINARY_EXTENSIONS = new Set([
  'a', 'o', 'so', 'ko', 'dll', 'exe', 'bin', 'dat', 'db', 'sqlite', 'sqlite3', 'pyc', 'pyo', 'class', 'jar', 'war', 'ear',
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'lz4', 'lzma', '7z', 'rar', 'tar', 'deb', 'rpm', 'apk', 'whl', 'egg', 'gem',
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'tif', 'tiff', 'webp', 'svgz', 'woff', 'woff2', 'ttf', 'otf', 'eot',
  'mp3', 'mp4', 'ogg', 'wav', 'flac', 'avi', 'mov', 'mkv', 'pdf', 'mo', 'gmo', 'cache', 'pack', 'idx', 'wasm', 'node',
]);

function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function looksBinary(path: string, content?: Buffer): boolean {
  const ext = extensionOf(path);
  if (BINARY_EXTENSIONS.has(ext) || /^so\.\d/.test(ext) || /\.so\.\d/.test(path)) return true;
  if (!content) return false;
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/**
 * Executables above 256 KiB are compiled programs in practice (scripts are far smaller); skipping
 * them before the walker buffers them saves reading every ELF file of an image into memory only
 * to find a NUL byte at offset 4.
 */
const LARGE_EXECUTABLE = 256 * 1024;

function likelyExecutableBinary(meta: FileMeta): boolean {
  return (meta.mode & 0o111) !== 0 && meta.size > LARGE_EXECUTABLE;
}

/** Paths whose allow-lists skip them entirely are not even buffered by the walker. */
function pathSkipped(rules: SecretRules, path: string): boolean {
  return rules.allow.some((l) => {
    if (l.paths.length === 0 || (l.condition === 'and' && (l.regexes.length > 0 || l.stopwords.length > 0))) return false;
    return l.paths.some((p) => {
      p.lastIndex = 0;
      return p.test(path);
    });
  });
}

/** Identity of the secret analyzer, known without loading rules (for inventory fingerprints). */
export const SECRET_ANALYZER = { name: 'secrets', version: 1 } as const;

export function createSecretAnalyzer(rules: SecretRules, opts: SecretScanOptions = {}): Analyzer<SecretFinding[]> {
  const maxFileSize = opts.maxFileSize ?? DEFAULT_SECRET_MAX_FILE_SIZE;
  const scanBinaries = opts.scanBinaries ?? false;
  return {
    name: SECRET_ANALYZER.name,
    version: SECRET_ANALYZER.version,
    kind: 'secret',
    scope: 'all-layers',
    maxFileSize,
    required(path: string, meta: FileMeta): boolean {
      if (meta.type !== 'file' || meta.size === 0 || meta.size > maxFileSize) return false;
      if (!scanBinaries && (looksBinary(path) || likelyExecutableBinary(meta))) return false;
      return !pathSkipped(rules, path);
    },
    analyze({ path, content }: AnalyzerInput): SecretFinding[] | undefined {
      if (!scanBinaries && looksBinary(path, content)) return undefined;
      const found = scanText(content, path, rules);
      return found.length > 0 ? found : undefined;
    },
    finalize(fragments: Fragment<SecretFinding[]>[]) {
      const seen = new Set<string>();
      const secrets: SecretFinding[] = [];
      for (const f of fragments) {
        for (const s of f.value) {
          const finding: SecretFinding = { ...s, layer: f.layerDigest, ...(f.deleted ? { deleted: true } : {}) };
          const key = `${finding.rule_id}\u0000${finding.path}\u0000${finding.layer ?? ''}\u0000${finding.line ?? 0}`;
          if (seen.has(key)) continue;
          seen.add(key);
          secrets.push(finding);
        }
      }
      return { secrets };
    },
  };
}

const configRuleCache = new WeakMap<SecretRules, SecretRules>();

/** Path allow-lists describe files; config pseudo-paths (`config:label:org.example.x`) are not files. */
function configRules(rules: SecretRules): SecretRules {
  let r = configRuleCache.get(rules);
  if (!r) {
    r = { ...rules, allow: rules.allow.filter((l) => l.paths.length === 0) };
    configRuleCache.set(rules, r);
  }
  return r;
}

/**
 * Secrets in the image config: ENV (`config:env`), labels (`config:label:KEY`) and history
 * `created_by` (`config:history[N]`, N = index in the config's history, empty layers included),
 * where `ARG`/`--build-arg` values and `RUN export X=...` end up.
 */
export function scanImageConfig(config: ImageConfig, allRules: SecretRules): SecretFinding[] {
  const rules = configRules(allRules);
  const out: SecretFinding[] = [];
  const seen = new Set<string>();
  const add = (findings: SecretFinding[], line?: number): void => {
    for (const f of findings) {
      const finding: SecretFinding = { ...f };
      if (line === undefined) delete finding.line;
      else finding.line = line;
      const key = `${finding.rule_id}\u0000${finding.path}\u0000${finding.line ?? 0}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(finding);
    }
  };
  const env = config.config?.Env ?? [];
  env.forEach((entry, i) => add(scanText(entry, 'config:env', rules), i + 1));
  for (const [key, value] of Object.entries(config.config?.Labels ?? {})) {
    add(scanText(`${key}=${value}`, `config:label:${key}`, rules));
  }
  (config.history ?? []).forEach((h, i) => {
    const text = [h.created_by, h.comment].filter((s): s is string => typeof s === 'string' && s.length > 0).join('\n');
    if (text) add(scanText(text, `config:history[${i}]`, rules));
  });
  return out;
}
