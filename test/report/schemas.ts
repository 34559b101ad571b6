/**
 * Validators for report formats against the official schemas, loaded from the packages that ship
 * them (never copied into the repo):
 * - CycloneDX: `@cyclonedx/cyclonedx-library` res/schema/bom-1.x.SNAPSHOT.schema.json, with the SPDX
 *   license-id, JSF and cryptography-defs schemas it references (the same wiring as the library's
 *   own JSON validator).
 * - SARIF 2.1.0: the schema `@microsoft/sarif-multitool-linux` ships (sarif-2.1.0.json, the SARIF
 *   SDK's copy of the OASIS schema, in JSON Schema 2020-12 form).
 * - SPDX 2.3: no npm or Debian package ships spdx-schema.json, so `checkSpdx23` checks the rules of
 *   the SPDX 2.3 specification (its JSON schema's fields, enums and patterns, plus license
 *   expression syntax) in code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { PackageURL } from 'packageurl-js';
import parseSpdxExpression from 'spdx-expression-parse';

type Json = Record<string, unknown>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;
const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** The value a JSON pointer names, for error messages. */
function valueAt(doc: unknown, pointer: string): unknown {
  let v: unknown = doc;
  for (const part of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** Human-readable schema errors (path, rule, offending value), at most 20. */
function describe(check: ValidateFunction, doc: unknown): string[] {
  return (check.errors ?? []).slice(0, 20).map((e) => {
    const params = 'allowedValues' in e.params ? '' : ` ${JSON.stringify(e.params)}`;
    return `${e.instancePath || '/'} ${e.message ?? ''}${params}: ${JSON.stringify(valueAt(doc, e.instancePath))?.slice(0, 200)}`;
  });
}

const cdxCache = new Map<string, ValidateFunction>();

/** The official CycloneDX JSON schema for `specVersion` (`1.6`), compiled once. */
export function cycloneDxSchema(specVersion: string): ValidateFunction {
  const cached = cdxCache.get(specVersion);
  if (cached) return cached;
  const dir = path.join(packageDir('@cyclonedx/cyclonedx-library'), 'res', 'schema');
  const schemas: Record<string, Json> = {};
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json', 'cryptography-defs.SNAPSHOT.schema.json']) {
    schemas[`http://cyclonedx.org/schema/${f}`] = readJson(path.join(dir, f));
  }
  const ajv = new Ajv({ allErrors: true, strict: false, schemas });
  addFormats(ajv);
  // As in the library's validator: ajv-formats has no IRI formats; CycloneDX uses them for URLs and e-mails.
  ajv.addFormat('iri-reference', true);
  ajv.addFormat('idn-email', true);
  const check = ajv.compile(readJson(path.join(dir, `bom-${specVersion}.SNAPSHOT.schema.json`)));
  cdxCache.set(specVersion, check);
  return check;
}

let sarifCheck: ValidateFunction | undefined;

export function sarifSchema(): ValidateFunction {
  if (!sarifCheck) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    sarifCheck = ajv.compile(readJson(path.join(packageDir('@microsoft/sarif-multitool-linux'), 'sarif-2.1.0.json')));
  }
  return sarifCheck;
}

/** Schema violations of a CycloneDX document (its own specVersion), empty when valid. */
export function cycloneDxViolations(doc: unknown): string[] {
  const check = cycloneDxSchema(String((doc as Json).specVersion));
  return check(doc) ? [] : describe(check, doc);
}

export function sarifViolations(doc: unknown): string[] {
  const check = sarifSchema();
  return check(doc) ? [] : describe(check, doc);
}

const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const SPDX_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DOCUMENT_FIELDS = new Set([
  'SPDXID', 'annotations', 'comment', 'creationInfo', 'dataLicense', 'externalDocumentRefs', 'hasExtractedLicensingInfos', 'name',
  'revieweds', 'spdxVersion', 'documentNamespace', 'documentDescribes', 'packages', 'files', 'snippets', 'relationships',
]);
const PACKAGE_FIELDS = new Set([
  'SPDXID', 'annotations', 'attributionTexts', 'builtDate', 'checksums', 'comment', 'copyrightText', 'description', 'downloadLocation',
  'externalRefs', 'filesAnalyzed', 'hasFiles', 'homepage', 'licenseComments', 'licenseConcluded', 'licenseDeclared', 'licenseInfoFromFiles',
  'name', 'originator', 'packageFileName', 'packageVerificationCode', 'primaryPackagePurpose', 'releaseDate', 'sourceInfo', 'summary',
  'supplier', 'validUntilDate', 'versionInfo',
]);
const PURPOSES = new Set(['APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'OPERATING-SYSTEM', 'DEVICE', 'FIRMWARE', 'SOURCE', 'ARCHIVE', 'FILE', 'INSTALL', 'OTHER']);
const REF_CATEGORIES = new Set(['OTHER', 'PERSISTENT-ID', 'PERSISTENT_ID', 'SECURITY', 'PACKAGE-MANAGER', 'PACKAGE_MANAGER']);
const RELATIONSHIPS = new Set([
  'VARIANT_OF', 'COPY_OF', 'PATCH_FOR', 'TEST_DEPENDENCY_OF', 'CONTAINED_BY', 'DATA_FILE_OF', 'OPTIONAL_COMPONENT_OF', 'ANCESTOR_OF',
  'GENERATES', 'CONTAINS', 'OPTIONAL_DEPENDENCY_OF', 'FILE_ADDED', 'REQUIREMENT_DESCRIPTION_FOR', 'DEV_DEPENDENCY_OF', 'DEPENDENCY_OF',
  'BUILD_DEPENDENCY_OF', 'DESCRIBES', 'PREREQUISITE_FOR', 'HAS_PREREQUISITE', 'PROVIDED_DEPENDENCY_OF', 'DYNAMIC_LINK', 'DESCRIBED_BY',
  'METAFILE_OF', 'DEPENDENCY_MANIFEST_OF', 'PATCH_APPLIED', 'RUNTIME_DEPENDENCY_OF', 'TEST_OF', 'TEST_TOOL_OF', 'DEPENDS_ON',
  'SPECIFICATION_FOR', 'FILE_MODIFIED', 'DISTRIBUTION_ARTIFACT', 'AMENDS', 'DOCUMENTATION_OF', 'GENERATED_FROM', 'STATIC_LINK', 'OTHER',
  'BUILD_TOOL_OF', 'TEST_CASE_OF', 'PACKAGE_OF', 'DESCENDANT_OF', 'FILE_DELETED', 'EXPANDED_FROM_ARCHIVE', 'DEV_TOOL_OF', 'EXAMPLE_OF',
  'REQUIREMENT_FOR',
]);

function validLicense(value: unknown): boolean {
  if (value === 'NOASSERTION' || value === 'NONE') return true;
  if (typeof value !== 'string') return false;
  try {
    parseSpdxExpression(value);
    return true;
  } catch {
    return false;
  }
}

function absoluteUriWithoutFragment(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).protocol.length > 1 && !value.includes('#') && !/\s/.test(value);
  } catch {
    return false;
  }
}

/** SPDX 2.3 JSON rules (fields, enums, patterns, license expressions, references that resolve); empty when valid. */
export function checkSpdx23(doc: unknown): string[] {
  const problems: string[] = [];
  const d = doc as Json;
  const need = (ok: boolean, what: string): void => void (ok || problems.push(what));
  need(d.spdxVersion === 'SPDX-2.3', 'spdxVersion must be SPDX-2.3');
  need(d.dataLicense === 'CC0-1.0', 'dataLicense must be CC0-1.0');
  need(d.SPDXID === 'SPDXRef-DOCUMENT', 'SPDXID must be SPDXRef-DOCUMENT');
  need(typeof d.name === 'string' && d.name.length > 0, 'name required');
  need(absoluteUriWithoutFragment(d.documentNamespace), `documentNamespace must be an absolute URI without '#': ${String(d.documentNamespace)}`);
  for (const k of Object.keys(d)) need(DOCUMENT_FIELDS.has(k), `unknown document field ${k}`);
  const info = d.creationInfo as Json | undefined;
  need(typeof info?.created === 'string' && SPDX_DATE.test(info.created), `creationInfo.created must be YYYY-MM-DDThh:mm:ssZ: ${String(info?.created)}`);
  const creators = info?.creators;
  need(Array.isArray(creators) && creators.length > 0 && creators.every((c) => typeof c === 'string' && /^(Tool|Organization|Person): \S/.test(c)), 'creationInfo.creators: "Tool: …", "Organization: …" or "Person: …"');
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  const packages = Array.isArray(d.packages) ? (d.packages as Json[]) : [];
  need(Array.isArray(d.packages), 'packages must be an array');
  for (const [i, p] of packages.entries()) {
    const at = `packages[${i}] (${String(p.name)})`;
    for (const k of Object.keys(p)) need(PACKAGE_FIELDS.has(k), `${at}: unknown field ${k}`);
    need(typeof p.SPDXID === 'string' && SPDX_ID.test(p.SPDXID), `${at}: SPDXID ${String(p.SPDXID)} does not match ${SPDX_ID}`);
    need(!ids.has(String(p.SPDXID)), `${at}: duplicate SPDXID ${String(p.SPDXID)}`);
    ids.add(String(p.SPDXID));
    need(typeof p.name === 'string' && p.name.length > 0, `${at}: name required`);
    need(typeof p.downloadLocation === 'string' && p.downloadLocation.length > 0, `${at}: downloadLocation required`);
    if ('versionInfo' in p) need(typeof p.versionInfo === 'string', `${at}: versionInfo must be a string`);
    if ('filesAnalyzed' in p) need(typeof p.filesAnalyzed === 'boolean', `${at}: filesAnalyzed must be a boolean`);
    for (const f of ['licenseConcluded', 'licenseDeclared'] as const) if (f in p) need(validLicense(p[f]), `${at}: ${f} ${JSON.stringify(p[f])} is not NOASSERTION, NONE or a valid SPDX license expression`);
    if ('primaryPackagePurpose' in p) need(PURPOSES.has(String(p.primaryPackagePurpose)), `${at}: primaryPackagePurpose ${String(p.primaryPackagePurpose)}`);
    for (const f of ['comment', 'description', 'sourceInfo', 'copyrightText'] as const) if (f in p) need(typeof p[f] === 'string', `${at}: ${f} must be a string`);
    for (const ref of Array.isArray(p.externalRefs) ? (p.externalRefs as Json[]) : []) {
      need(REF_CATEGORIES.has(String(ref.referenceCategory)), `${at}: referenceCategory ${String(ref.referenceCategory)}`);
      need(typeof ref.referenceType === 'string' && typeof ref.referenceLocator === 'string', `${at}: externalRef needs referenceType and referenceLocator`);
      need(!/\s/.test(String(ref.referenceLocator)), `${at}: referenceLocator must not contain whitespace`);
      if (ref.referenceType === 'purl') {
        try {
          PackageURL.fromString(String(ref.referenceLocator));
        } catch (err) {
          problems.push(`${at}: invalid purl ${String(ref.referenceLocator)}: ${(err as Error).message}`);
        }
      }
    }
  }
  for (const id of Array.isArray(d.documentDescribes) ? (d.documentDescribes as unknown[]) : []) need(ids.has(String(id)), `documentDescribes ${String(id)} does not resolve`);
  for (const [i, r] of (Array.isArray(d.relationships) ? (d.relationships as Json[]) : []).entries()) {
    need(RELATIONSHIPS.has(String(r.relationshipType)), `relationships[${i}]: relationshipType ${String(r.relationshipType)}`);
    need(ids.has(String(r.spdxElementId)) && ids.has(String(r.relatedSpdxElement)), `relationships[${i}]: ${String(r.spdxElementId)} → ${String(r.relatedSpdxElement)} does not resolve`);
  }
  return problems.slice(0, 20);
}
