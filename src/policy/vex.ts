/**
 * OpenVEX 0.2.0 (https://github.com/openvex/spec) statements. Only `not_affected` and `fixed`
 * suppress a finding; `affected` and `under_investigation` leave it counted, because a VEX
 * document must never hide a finding its author did not waive.
 */
import type { Report, Vulnerability } from '../model/report.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';
import { summarize } from '../report/summary.ts';
import { purlCovers } from './purl-match.ts';

export type VexStatus = 'not_affected' | 'fixed' | 'affected' | 'under_investigation';
const STATUSES: readonly string[] = ['not_affected', 'fixed', 'affected', 'under_investigation'];

export interface VexProduct {
  id: string;
  /** Purls (or other identifiers) of components inside the product the statement is limited to. */
  subcomponents: string[];
}

export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  products: VexProduct[];
  status: VexStatus;
  justification?: string;
  impact_statement?: string;
  source: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function componentId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return undefined;
  if (typeof value['@id'] === 'string') return value['@id'];
  const identifiers = value.identifiers;
  if (isRecord(identifiers) && typeof identifiers.purl === 'string') return identifiers.purl;
  return undefined;
}

export function parseOpenVex(text: string, path: string): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${path}: not valid JSON: ${errorMessage(err)}`, 'invalid_vex', { cause: err });
  }
  if (!isRecord(doc) || !Array.isArray(doc.statements)) {
    throw new UserInputError(`${path}: not an OpenVEX document (no statements[])`, 'invalid_vex');
  }
  // Statements may omit products when the document-level `products` is given (OpenVEX allows inheriting).
  const docProducts = Array.isArray(doc.products) ? doc.products : [];
  return doc.statements.map((raw, index): VexStatement => {
    const where = `${path}: statement ${index + 1}`;
    if (!isRecord(raw)) throw new UserInputError(`${where} is not an object`, 'invalid_vex');
    let vulnerability: string | undefined;
    let aliases: string[] = [];
    if (typeof raw.vulnerability === 'string') vulnerability = raw.vulnerability;
    else if (isRecord(raw.vulnerability)) {
      const v = raw.vulnerability;
      vulnerability = typeof v.name === 'string' ? v.name : typeof v['@id'] === 'string' ? v['@id'] : undefined;
      if (Array.isArray(v.aliases)) aliases = v.aliases.filter((a): a is string => typeof a === 'string');
    }
    if (vulnerability === undefined || vulnerability === '') {
      throw new UserInputError(`${where} has no vulnerability name`, 'invalid_vex');
    }
    const status = raw.status;
    if (typeof status !== 'string' || !STATUSES.includes(status)) {
      throw new UserInputError(`${where} (${vulnerability}): status must be one of ${STATUSES.join(', ')}`, 'invalid_vex');
    }
    const rawProducts = Array.isArray(raw.products) ? raw.products : docProducts;
    const products: VexProduct[] = [];
    for (const product of rawProducts) {
      const id = componentId(product);
      if (id === undefined) throw new UserInputError(`${where} (${vulnerability}): product without @id`, 'invalid_vex');
      const subs = isRecord(product) && Array.isArray(product.subcomponents) ? product.subcomponents : [];
      products.push({ id, subcomponents: subs.map(componentId).filter((s): s is string => s !== undefined) });
    }
    if (products.length === 0) {
      throw new UserInputError(`${where} (${vulnerability}): no products`, 'invalid_vex');
    }
    return {
      vulnerability,
      aliases,
      products,
      status: status as VexStatus,
      ...(typeof raw.justification === 'string' ? { justification: raw.justification } : {}),
      ...(typeof raw.impact_statement === 'string' ? { impact_statement: raw.impact_statement } : {}),
      source: path,
    };
  });
}

function digestOf(ref: string): string | undefined {
  if (ref.startsWith('pkg:oci/')) {
    const at = /@(sha256(?::|%3A)[0-9a-f]{64})/i.exec(ref);
    return at?.[1]?.replace(/%3A/i, ':').toLowerCase();
  }
  return /(sha256:[0-9a-f]{64})/i.exec(ref)?.[1]?.toLowerCase();
}

/** Whether a product id names the scanned image: by digest, or by the reference that was scanned. */
function productIsImage(productId: string, report: Report): boolean {
  const digest = digestOf(productId);
  if (digest !== undefined) return report.digest !== undefined && report.digest.toLowerCase() === digest;
  if (productId.startsWith('pkg:')) return false;
  const target = report.target.replace(/^(image|docker|registry|oci):/, '');
  return productId === report.target || productId === target || productId === report.artifact.reference;
}

function statementCovers(statement: VexStatement, vuln: Vulnerability, report: Report): boolean {
  const ids = [statement.vulnerability, ...statement.aliases].map((s) => s.toUpperCase());
  const vulnIds = [vuln.id, ...vuln.aliases].map((s) => s.toUpperCase());
  if (!ids.some((id) => vulnIds.includes(id))) return false;
  return statement.products.some((product) => {
    if (product.id.startsWith('pkg:') && digestOf(product.id) === undefined) {
      return purlCovers(product.id, vuln.purl);
    }
    if (!productIsImage(product.id, report)) return false;
    // An image-level statement without subcomponents covers every package of that image.
    if (product.subcomponents.length === 0) return true;
    return product.subcomponents.some((sub) => purlCovers(sub, vuln.purl));
  });
}

export function applyVex(report: Report, statements: VexStatement[]): Report {
  const vulnerabilities = report.vulnerabilities.map((vuln) => {
    if (vuln.suppressed !== undefined) return vuln;
    // The last matching statement wins, as OpenVEX orders statements by time within a document.
    let decisive: VexStatement | undefined;
    for (const statement of statements) if (statementCovers(statement, vuln, report)) decisive = statement;
    if (decisive === undefined || (decisive.status !== 'not_affected' && decisive.status !== 'fixed')) return vuln;
    const reason = [decisive.status, decisive.justification, decisive.impact_statement].filter((s) => s !== undefined && s !== '').join(': ');
    return { ...vuln, suppressed: { by: 'vex' as const, reason, source: decisive.source } };
  });
  return { ...report, vulnerabilities, summary: summarize(vulnerabilities) };
}
