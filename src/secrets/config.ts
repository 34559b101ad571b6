/**
 * Secret-rule configuration: the built-in rules, a YAML config in trivy's secret-config format
 * (custom rules, allow rules, exclude blocks, disabled rules), or a gitleaks TOML rule file.
 * Parsing is pure (text in, rules out); `loadSecretConfig` only adds the file read.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { SEVERITIES, type Severity } from '../model/report.ts';
import { UserInputError } from '../util/errors.ts';
import { BUILTIN_ALLOW_LISTS, builtinRules } from './builtin.ts';
import { compileRe2 } from './re2.ts';
import { allowList, type AllowList, type SecretRule, type SecretRules } from './types.ts';

export interface SecretScanOptions {
  /** YAML config (trivy secret-config format) or a gitleaks `.toml`. */
  configPath?: string;
  /** Larger files are not scanned. Default 10 MiB. */
  maxFileSize?: number;
  /** Scan files that look binary (NUL in the first 8 KiB, known binary extensions). Default false. */
  scanBinaries?: boolean;
}

/** Rules plus the problems met while loading them (rules that could not be translated). */
export interface LoadedSecretRules extends SecretRules {
  warnings: string[];
}

export class SecretConfigError extends UserInputError {
  constructor(file: string, message: string) {
    super(`secret config ${file}: ${message}`, 'invalid_secret_config');
  }
}

export function defaultSecretRules(): LoadedSecretRules {
  return { rules: builtinRules(), allow: [...BUILTIN_ALLOW_LISTS], excludeBlocks: [], warnings: [] };
}

export async function loadSecretConfig(opts: SecretScanOptions = {}): Promise<LoadedSecretRules> {
  if (!opts.configPath) return defaultSecretRules();
  let text: string;
  try {
    text = await readFile(opts.configPath, 'utf8');
  } catch (err) {
    throw new SecretConfigError(opts.configPath, `cannot read: ${(err as Error).message}`);
  }
  return opts.configPath.toLowerCase().endsWith('.toml') ? parseGitleaksConfig(text, opts.configPath) : parseSecretConfigYaml(text, opts.configPath);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, file: string, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new SecretConfigError(file, `${what} must be a string`);
  return v;
}

function strList(v: unknown, file: string, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new SecretConfigError(file, `${what} must be a list of strings`);
  return v as string[];
}

function re2(pattern: string, file: string, what: string, flags = ''): { regex: RegExp; groupNames: Map<string, number[]> } {
  try {
    return compileRe2(pattern, flags);
  } catch (err) {
    throw new SecretConfigError(file, `${what}: ${(err as Error).message}`);
  }
}

/** trivy's rule: unknown or missing severities become UNKNOWN; case is normalised. */
function severityOf(v: unknown): Severity {
  const s = typeof v === 'string' ? v.toUpperCase() : '';
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : 'UNKNOWN';
}

function trivyAllowRule(v: unknown, file: string, what: string): AllowList {
  if (!isObj(v)) throw new SecretConfigError(file, `${what} must be a mapping`);
  const id = str(v.id, file, `${what}.id`);
  const description = str(v.description, file, `${what}.description`);
  const path = str(v.path, file, `${what}.path`);
  const regex = str(v.regex, file, `${what}.regex`);
  return allowList({
    ...(id ? { id } : {}),
    ...(description ? { description } : {}),
    paths: path ? [re2(path, file, `${what}.path`).regex] : [],
    // trivy tests allow regexes against the whole match, not only the secret group.
    regexes: regex ? [re2(regex, file, `${what}.regex`).regex] : [],
    regexTarget: 'match',
  });
}

function excludeBlock(v: unknown, file: string, what: string): RegExp[] {
  if (v === undefined || v === null) return [];
  if (!isObj(v)) throw new SecretConfigError(file, `${what} must be a mapping`);
  return strList(v.regexes, file, `${what}.regexes`).map((r, i) => re2(r, file, `${what}.regexes[${i}]`, 'g').regex);
}

/**
 * YAML config, trivy's secret-config format (rules, allow-rules, exclude-block, disable-rules,
 * disable-allow-rules, enable-builtin-rules), so existing trivy-secret.yaml files work unchanged.
 */
export function parseSecretConfigYaml(text: string, file = '<config>'): LoadedSecretRules {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new SecretConfigError(file, `invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return defaultSecretRules();
  if (!isObj(doc)) throw new SecretConfigError(file, 'top level must be a mapping');
  const custom: SecretRule[] = [];
  const rulesIn = doc.rules ?? [];
  if (!Array.isArray(rulesIn)) throw new SecretConfigError(file, 'rules must be a list');
  rulesIn.forEach((r: unknown, i) => {
    const what = `rules[${i}]`;
    if (!isObj(r)) throw new SecretConfigError(file, `${what} must be a mapping`);
    const id = str(r.id, file, `${what}.id`);
    const regexText = str(r.regex, file, `${what}.regex`);
    if (!id) throw new SecretConfigError(file, `${what}.id is required`);
    if (!regexText) throw new SecretConfigError(file, `${what} (${id}): regex is required`);
    const { regex, groupNames } = re2(regexText, file, `${what} (${id}).regex`, 'g');
    const groupName = str(r['secret-group-name'], file, `${what}.secret-group-name`);
    let secretGroups: number[] = [];
    if (groupName) {
      secretGroups = groupNames.get(groupName) ?? [];
      if (secretGroups.length === 0) throw new SecretConfigError(file, `${what} (${id}): regex has no group named ${groupName}`);
    }
    const path = str(r.path, file, `${what}.path`);
    const allowRules = r['allow-rules'] ?? [];
    if (!Array.isArray(allowRules)) throw new SecretConfigError(file, `${what}.allow-rules must be a list`);
    const entropy = r.entropy;
    if (entropy !== undefined && typeof entropy !== 'number') throw new SecretConfigError(file, `${what}.entropy must be a number`);
    custom.push({
      id,
      category: str(r.category, file, `${what}.category`) ?? 'general',
      severity: severityOf(r.severity),
      title: str(r.title, file, `${what}.title`) ?? id,
      keywords: strList(r.keywords, file, `${what}.keywords`).map((k) => k.toLowerCase()),
      regex,
      secretGroups,
      firstGroupFallback: false,
      ...(typeof entropy === 'number' ? { entropy } : {}),
      ...(path ? { path: re2(path, file, `${what}.path`).regex } : {}),
      allow: allowRules.map((a: unknown, j) => trivyAllowRule(a, file, `${what}.allow-rules[${j}]`)),
      excludeBlocks: excludeBlock(r['exclude-block'], file, `${what}.exclude-block`),
    });
  });
  const enabled = doc['enable-builtin-rules'] !== undefined ? new Set(strList(doc['enable-builtin-rules'], file, 'enable-builtin-rules')) : undefined;
  const disabled = new Set(strList(doc['disable-rules'], file, 'disable-rules'));
  const disabledAllow = new Set(strList(doc['disable-allow-rules'], file, 'disable-allow-rules'));
  const customIds = new Set(custom.map((r) => r.id));
  const builtins = builtinRules().filter((r) => (!enabled || enabled.has(r.id)) && !customIds.has(r.id));
  const globalAllowIn = doc['allow-rules'] ?? [];
  if (!Array.isArray(globalAllowIn)) throw new SecretConfigError(file, 'allow-rules must be a list');
  const globalAllow = globalAllowIn.map((a: unknown, j) => trivyAllowRule(a, file, `allow-rules[${j}]`));
  return {
    rules: [...custom, ...builtins].filter((r) => !disabled.has(r.id)),
    allow: [...BUILTIN_ALLOW_LISTS, ...globalAllow].filter((l) => !l.id || !disabledAllow.has(l.id)),
    excludeBlocks: excludeBlock(doc['exclude-block'], file, 'exclude-block'),
    warnings: [],
  };
}

const LEADING_CONTEXT = /^((?:\(\?:)*)\[\\w\.\\-\]\{0,(\d{1,3})\}\?/;

/** Strips leading lazy `[\w.-]{0,N}?` context classes (see SecretRule.contextPrefix). */
export function stripLeadingContext(regex: RegExp): { regex: RegExp; contextPrefix: number } {
  let source = regex.source;
  let total = 0;
  for (let m = LEADING_CONTEXT.exec(source); m; m = LEADING_CONTEXT.exec(source)) {
    total += Number(m[2]);
    source = (m[1] ?? '') + source.slice(m[0].length);
  }
  return total > 0 ? { regex: new RegExp(source, regex.flags), contextPrefix: total } : { regex, contextPrefix: 0 };
}

function gitleaksAllowList(v: unknown, file: string, what: string, warnings: string[]): AllowList | undefined {
  if (!isObj(v)) throw new SecretConfigError(file, `${what} must be a table`);
  const target = str(v.regexTarget, file, `${what}.regexTarget`) ?? 'secret';
  if (target !== 'secret' && target !== 'match' && target !== 'line') throw new SecretConfigError(file, `${what}.regexTarget must be secret, match or line`);
  const condition = (str(v.condition, file, `${what}.condition`) ?? 'OR').toLowerCase();
  if (condition !== 'or' && condition !== 'and') throw new SecretConfigError(file, `${what}.condition must be OR or AND`);
  const compileAll = (list: string[], kind: string): RegExp[] =>
    list.flatMap((p, i) => {
      try {
        return [compileRe2(p).regex];
      } catch (err) {
        warnings.push(`${file}: ${what}.${kind}[${i}] skipped: ${(err as Error).message}`);
        return [];
      }
    });
  const list = allowList({
    ...(typeof v.description === 'string' ? { description: v.description } : {}),
    paths: compileAll(strList(v.paths, file, `${what}.paths`), 'paths'),
    regexes: compileAll(strList(v.regexes, file, `${what}.regexes`), 'regexes'),
    stopwords: strList(v.stopwords, file, `${what}.stopwords`).map((w) => w.toLowerCase()),
    regexTarget: target,
    condition,
  });
  // A list with only `commits` means nothing for an image.
  if (list.paths.length + list.regexes.length + list.stopwords.length === 0) return undefined;
  return list;
}

/**
 * gitleaks TOML (v8 format): [[rules]] with id/description/regex/secretGroup/entropy/keywords/path
 * and [[rules.allowlists]] (or the older [rules.allowlist]); global [allowlist] / [[allowlists]].
 * gitleaks rules carry no severity: imported rules get HIGH, category = first id segment.
 * The built-in rules are replaced unless `[extend] useDefault = true`.
 * A rule whose regex cannot be expressed in JS is skipped with a warning, not fatal.
 */
export function parseGitleaksConfig(text: string, file = '<gitleaks.toml>'): LoadedSecretRules {
  let doc: Obj;
  try {
    doc = parseToml(text) as Obj;
  } catch (err) {
    throw new SecretConfigError(file, `invalid TOML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  const warnings: string[] = [];
  const rules: SecretRule[] = [];
  const rulesIn = doc.rules ?? [];
  if (!Array.isArray(rulesIn)) throw new SecretConfigError(file, 'rules must be an array of tables');
  rulesIn.forEach((r: unknown, i) => {
    const what = `rules[${i}]`;
    if (!isObj(r)) throw new SecretConfigError(file, `${what} must be a table`);
    const id = str(r.id, file, `${what}.id`);
    if (!id) throw new SecretConfigError(file, `${what}.id is required`);
    const regexText = str(r.regex, file, `${what} (${id}).regex`);
    const pathText = str(r.path, file, `${what} (${id}).path`);
    if (!regexText && !pathText) throw new SecretConfigError(file, `${what} (${id}): needs regex or path`);
    let regex: RegExp | undefined;
    let path: RegExp | undefined;
    let contextPrefix = 0;
    try {
      if (regexText) regex = compileRe2(regexText, 'g').regex;
      if (regex) {
        const stripped = stripLeadingContext(regex);
        regex = stripped.regex;
        contextPrefix = stripped.contextPrefix;
      }
      if (pathText) path = compileRe2(pathText).regex;
    } catch (err) {
      warnings.push(`${file}: rule ${id} skipped: ${(err as Error).message}`);
      return;
    }
    const secretGroup = r.secretGroup;
    if (secretGroup !== undefined && (typeof secretGroup !== 'number' || !Number.isInteger(secretGroup) || secretGroup < 0)) {
      throw new SecretConfigError(file, `${what} (${id}).secretGroup must be a non-negative integer`);
    }
    const entropy = r.entropy;
    if (entropy !== undefined && typeof entropy !== 'number') throw new SecretConfigError(file, `${what} (${id}).entropy must be a number`);
    const lists: unknown[] = [];
    if (Array.isArray(r.allowlists)) lists.push(...(r.allowlists as unknown[]));
    if (r.allowlist !== undefined) lists.push(r.allowlist);
    const allow = lists.flatMap((l, j) => gitleaksAllowList(l, file, `${what} (${id}).allowlists[${j}]`, warnings) ?? []);
    rules.push({
      id,
      category: id.split('-')[0] ?? id,
      severity: 'HIGH',
      title: str(r.description, file, `${what}.description`) ?? id,
      keywords: strList(r.keywords, file, `${what}.keywords`).map((k) => k.toLowerCase()),
      ...(regex ? { regex } : {}),
      secretGroups: typeof secretGroup === 'number' && secretGroup > 0 ? [secretGroup] : [],
      firstGroupFallback: true,
      ...(typeof entropy === 'number' ? { entropy } : {}),
      ...(path ? { path } : {}),
      allow,
      excludeBlocks: [],
      ...(contextPrefix > 0 ? { contextPrefix } : {}),
      // gitleaks drops generic-rule secrets without a digit when the rule has an entropy threshold.
      ...(typeof entropy === 'number' && id.startsWith('generic') ? { requireDigit: true } : {}),
    });
  });
  const globalLists: unknown[] = [];
  if (doc.allowlist !== undefined) globalLists.push(doc.allowlist);
  if (Array.isArray(doc.allowlists)) globalLists.push(...(doc.allowlists as unknown[]));
  const allow = globalLists.flatMap((l, j) => gitleaksAllowList(l, file, `allowlists[${j}]`, warnings) ?? []);
  const extend = isObj(doc.extend) ? doc.extend : undefined;
  const useDefault = extend?.useDefault === true;
  const ids = new Set(rules.map((r) => r.id));
  return {
    rules: useDefault ? [...rules, ...builtinRules().filter((r) => !ids.has(r.id))] : rules,
    allow: useDefault ? [...BUILTIN_ALLOW_LISTS, ...allow] : allow,
    excludeBlocks: [],
    warnings,
  };
}
