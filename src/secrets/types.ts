import type { Severity } from '../model/report.ts';

/**
 * An allow-list: a finding (or a whole file, for path-only global lists) is dropped when it matches.
 * `condition: 'or'` (default): any non-empty criterion suffices; `'and'`: all non-empty criteria
 * must match (gitleaks semantics).
 */
export interface AllowList {
  /** Set on built-in and trivy-style allow rules so configs can disable them by id. */
  id?: string;
  description?: string;
  paths: RegExp[];
  regexes: RegExp[];
  /** Lower-cased; the finding is allowed when the secret contains one. */
  stopwords: string[];
  /** What `regexes` are tested against. */
  regexTarget: 'secret' | 'match' | 'line';
  condition: 'or' | 'and';
}

export interface SecretRule {
  id: string;
  category: string;
  severity: Severity;
  title: string;
  /** Lower-cased; the rule's regex runs only on content containing one (none: always runs). */
  keywords: string[];
  /** Global (`g`) regex; absent for path-only rules. */
  regex?: RegExp;
  /** Capture groups holding the secret (several when an RE2 group name repeats); empty: whole match / first group. */
  secretGroups: number[];
  /** When no secret group is named, use the first non-empty capture group (gitleaks) instead of the whole match (trivy). */
  firstGroupFallback: boolean;
  /** Minimum Shannon entropy (bits per char) of the secret. */
  entropy?: number;
  /** The rule only applies to paths matching this. */
  path?: RegExp;
  allow: AllowList[];
  /** Regions of the file where this rule's matches are ignored (trivy exclude-block). */
  excludeBlocks: RegExp[];
  /** gitleaks generic rules: a secret without a digit is noise. */
  requireDigit?: boolean;
  /**
   * gitleaks rules open with a lazy `[\w.-]{0,50}?` that only widens the match to the variable
   * name; it is stripped from the regex (4-10x faster) and the match text is widened back by up
   * to this many `[\w.-]` characters for `regexTarget: match` allowlists.
   */
  contextPrefix?: number;
  /** A catch-all rule: its finding is dropped when a specific rule reports the same line. */
  yieldsToSpecific?: boolean;
}

export interface SecretRules {
  rules: SecretRule[];
  /** Global allow-lists (every rule). */
  allow: AllowList[];
  excludeBlocks: RegExp[];
}

export function allowList(partial: Partial<AllowList>): AllowList {
  return { paths: [], regexes: [], stopwords: [], regexTarget: 'secret', condition: 'or', ...partial };
}
