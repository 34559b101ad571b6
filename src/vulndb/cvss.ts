/**
 * CVSS base scores. v3.0/v3.1 follow the FIRST specification formulas (written here); v4.0 uses
 * @pandatix/js-cvss, whose MacroVector table and interpolation track FIRST's reference calculator
 * (a hand copy of that 270-entry table would be the riskier choice). v2.0 is scored from its spec too,
 * because NVD still publishes v2-only vectors for older CVEs.
 */
import { CVSS40 } from '@pandatix/js-cvss';
import type { CvssScore, Severity } from '../model/report.ts';

export class CvssVectorError extends Error {
  constructor(readonly vector: string, reason: string) {
    super(`invalid CVSS vector ${JSON.stringify(vector.slice(0, 200))}: ${reason}`);
    this.name = 'CvssVectorError';
  }
}

type MetricSpec = Record<string, readonly string[]>;

const V3_BASE: MetricSpec = {
  AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], PR: ['N', 'L', 'H'], UI: ['N', 'R'],
  S: ['U', 'C'], C: ['H', 'L', 'N'], I: ['H', 'L', 'N'], A: ['H', 'L', 'N'],
};
const V3_OPTIONAL: MetricSpec = {
  E: ['X', 'U', 'P', 'F', 'H'], RL: ['X', 'O', 'T', 'W', 'U'], RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'], IR: ['X', 'L', 'M', 'H'], AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'], MAC: ['X', 'L', 'H'], MPR: ['X', 'N', 'L', 'H'], MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'], MC: ['X', 'N', 'L', 'H'], MI: ['X', 'N', 'L', 'H'], MA: ['X', 'N', 'L', 'H'],
};
const V2_BASE: MetricSpec = {
  AV: ['L', 'A', 'N'], AC: ['H', 'M', 'L'], Au: ['M', 'S', 'N'], C: ['N', 'P', 'C'], I: ['N', 'P', 'C'], A: ['N', 'P', 'C'],
};
const V2_OPTIONAL: MetricSpec = {
  E: ['U', 'POC', 'F', 'H', 'ND'], RL: ['OF', 'TF', 'W', 'U', 'ND'], RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'], TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: ['L', 'M', 'H', 'ND'], IR: ['L', 'M', 'H', 'ND'], AR: ['L', 'M', 'H', 'ND'],
};

const MAX_VECTOR_LENGTH = 512;

function parseMetrics(vector: string, parts: string[], base: MetricSpec, optional: MetricSpec): Map<string, string> {
  const metrics = new Map<string, string>();
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new CvssVectorError(vector, `malformed metric ${JSON.stringify(part)}`);
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const allowed = Object.hasOwn(base, key) ? base[key] : Object.hasOwn(optional, key) ? optional[key] : undefined;
    if (!allowed) throw new CvssVectorError(vector, `unknown metric ${JSON.stringify(key)}`);
    if (!allowed.includes(value)) throw new CvssVectorError(vector, `bad value ${JSON.stringify(value)} for ${key}`);
    if (metrics.has(key)) throw new CvssVectorError(vector, `metric ${key} repeated`);
    metrics.set(key, value);
  }
  for (const key of Object.keys(base)) {
    if (!metrics.has(key)) throw new CvssVectorError(vector, `missing base metric ${key}`);
  }
  return metrics;
}

function get(metrics: Map<string, string>, key: string): string {
  const v = metrics.get(key);
  if (v === undefined) throw new Error(`metric ${key} missing after validation`);
  return v;
}

/** CVSS v3.1 Roundup (spec appendix A): avoids floating-point artefacts such as 4.000000000000001 → 4.1. */
function roundUp31(value: number): number {
  const scaled = Math.round(value * 100000);
  return scaled % 10000 === 0 ? scaled / 100000 : (Math.floor(scaled / 10000) + 1) / 10;
}

function roundUp30(value: number): number {
  return Math.ceil(value * 10) / 10;
}

const AV3: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC3: Record<string, number> = { L: 0.77, H: 0.44 };
const UI3: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA3: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

function num(table: Record<string, number>, key: string): number {
  const v = table[key];
  if (v === undefined) throw new Error(`no weight for ${key}`);
  return v;
}

function scoreV3(vector: string, version: '3.0' | '3.1'): number {
  const parts = vector.split('/').slice(1);
  const m = parseMetrics(vector, parts, V3_BASE, V3_OPTIONAL);
  const changed = get(m, 'S') === 'C';
  const prValue = get(m, 'PR');
  const pr = prValue === 'N' ? 0.85 : prValue === 'L' ? (changed ? 0.68 : 0.62) : changed ? 0.5 : 0.27;
  const iss = 1 - (1 - num(CIA3, get(m, 'C'))) * (1 - num(CIA3, get(m, 'I'))) * (1 - num(CIA3, get(m, 'A')));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * num(AV3, get(m, 'AV')) * num(AC3, get(m, 'AC')) * pr * num(UI3, get(m, 'UI'));
  if (impact <= 0) return 0;
  const roundUp = version === '3.1' ? roundUp31 : roundUp30;
  return changed ? roundUp(Math.min(1.08 * (impact + exploitability), 10)) : roundUp(Math.min(impact + exploitability, 10));
}

function scoreV2(vector: string): number {
  const body = vector.startsWith('(') && vector.endsWith(')') ? vector.slice(1, -1) : vector;
  const parts = body.replace(/^CVSS:2\.0\//, '').split('/');
  const m = parseMetrics(vector, parts, V2_BASE, V2_OPTIONAL);
  const av = num({ L: 0.395, A: 0.646, N: 1.0 }, get(m, 'AV'));
  const ac = num({ H: 0.35, M: 0.61, L: 0.71 }, get(m, 'AC'));
  const au = num({ M: 0.45, S: 0.56, N: 0.704 }, get(m, 'Au'));
  const cia: Record<string, number> = { N: 0, P: 0.275, C: 0.66 };
  const impact = 10.41 * (1 - (1 - num(cia, get(m, 'C'))) * (1 - num(cia, get(m, 'I'))) * (1 - num(cia, get(m, 'A'))));
  const exploitability = 20 * av * ac * au;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round(((0.6 * impact + 0.4 * exploitability - 1.5) * f) * 10) / 10;
}

/** Qualitative rating (FIRST v3/v4 table; v2 uses NVD's three bands). A 0.0 score rates UNKNOWN, as the schema has no NONE. */
export function severityFromScore(score: number, version: CvssScore['version'] = '3.1'): Severity {
  if (version === '2.0') return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : score > 0 ? 'LOW' : 'UNKNOWN';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'UNKNOWN';
}

/** Version of a vector from its prefix; v2 vectors carry none (`AV:N/AC:L/Au:N/…`). */
export function cvssVersionOf(vector: string): CvssScore['version'] | undefined {
  if (vector.startsWith('CVSS:3.1/')) return '3.1';
  if (vector.startsWith('CVSS:3.0/')) return '3.0';
  if (vector.startsWith('CVSS:4.0/')) return '4.0';
  if (/^\(?(CVSS:2\.0\/)?AV:[LAN]\/AC:/.test(vector)) return '2.0';
  return undefined;
}

/**
 * Base score of a CVSS vector (v2.0, v3.0, v3.1, v4.0). Throws CvssVectorError for anything
 * malformed: unknown or repeated metrics, missing base metrics, bad values.
 * `scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')` → {version:'3.1', score: 9.8, severity:'CRITICAL'}.
 */
export function scoreCvss(vector: string, source?: string): CvssScore {
  const trimmed = vector.trim();
  if (trimmed.length > MAX_VECTOR_LENGTH) throw new CvssVectorError(vector, 'too long');
  const version = cvssVersionOf(trimmed);
  let score: number;
  switch (version) {
    case '3.0':
    case '3.1':
      score = scoreV3(trimmed, version);
      break;
    case '2.0':
      score = scoreV2(trimmed);
      break;
    case '4.0':
      try {
        score = new CVSS40(trimmed).Score();
      } catch (err) {
        throw new CvssVectorError(vector, err instanceof Error ? err.message : String(err));
      }
      break;
    default:
      throw new CvssVectorError(vector, 'unknown CVSS version prefix');
  }
  const result: CvssScore = { version, vector: trimmed, score, severity: severityFromScore(score, version) };
  if (source) result.source = source;
  return result;
}

/** Like scoreCvss but returns undefined instead of throwing (advisory data carries the odd broken vector). */
export function tryScoreCvss(vector: string, source?: string): CvssScore | undefined {
  try {
    return scoreCvss(vector, source);
  } catch {
    return undefined;
  }
}
