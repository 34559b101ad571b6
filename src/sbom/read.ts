/**
 * Reads CycloneDX JSON (1.4–1.6) and SPDX JSON (2.2/2.3) back into packages for `sbom:FILE`
 * targets. Portwarden's own `portwarden:` properties are used when present (exact round trip);
 * other producers' documents fall back to the purl (ecosystem from the `distro` qualifier,
 * source package from `upstream`), which is what Syft and Trivy write.
 */
import type { Location, OSFamily, OSInfo, Package, PackageType } from '../model/inventory.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';
import { parsePurlLoose } from '../policy/purl-match.ts';
import { osvEcosystem } from '../analyzers/os/os-release.ts';

export interface SbomContents {
  packages: Package[];
  os?: OSInfo;
  target?: string;
  digest?: string;
}

const OS_FAMILIES: readonly string[] = ['debian', 'ubuntu', 'alpine', 'wolfi', 'chainguard', 'redhat', 'centos', 'rocky', 'alma', 'fedora', 'amazon', 'oracle', 'opensuse', 'sles', 'mariner', 'azurelinux', 'photon', 'distroless'];

type Json = Record<string, unknown>;

function unescapeCommentValue(value: string): string {
  return value.replace(/%(25|0A|0D)/g, (_m, code: string) => (code === '25' ? '%' : code === '0A' ? '\n' : '\r'));
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

const PURL_TYPES: Record<string, { type: PackageType; ecosystem: string }> = {
  npm: { type: 'npm', ecosystem: 'npm' },
  pypi: { type: 'python', ecosystem: 'PyPI' },
  golang: { type: 'go-module', ecosystem: 'Go' },
  maven: { type: 'maven', ecosystem: 'Maven' },
  gem: { type: 'gem', ecosystem: 'RubyGems' },
  cargo: { type: 'cargo', ecosystem: 'crates.io' },
  composer: { type: 'composer', ecosystem: 'Packagist' },
  nuget: { type: 'nuget', ecosystem: 'NuGet' },
};

// purl `distro` / CycloneDX OS names as other tools spell them, mapped to our OS families.
const FAMILY_ALIASES: Record<string, OSFamily> = {
  almalinux: 'alma', rhel: 'redhat', amzn: 'amazon', ol: 'oracle', 'opensuse-leap': 'opensuse', sle: 'sles', cbl: 'mariner',
};

function familyOf(name: string): OSFamily {
  const lower = name.toLowerCase();
  const aliased = FAMILY_ALIASES[lower];
  if (aliased) return aliased;
  return (OS_FAMILIES.includes(lower) ? lower : 'unknown') as OSFamily;
}

/** Same release → ecosystem rule as the OS analyzer, so an SBOM re-match uses the advisory feeds a scan would. */
function ecosystemOf(family: string, version: string): string | undefined {
  return osvEcosystem({ family: familyOf(family), version, name: '' });
}

/** `debian-12` / `debian-12.5` / `alpine-3.19.1` → (family, version). */
function splitDistro(distro: string): { family: string; version: string } | undefined {
  const m = /^([a-z]+)-(\d[\w.]*)$/i.exec(distro);
  if (!m?.[1] || !m[2]) return undefined;
  return { family: m[1].toLowerCase(), version: m[2] };
}

function fromPurl(purl: string, name: string, version: string, os: OSInfo | undefined): Pick<Package, 'type' | 'ecosystem' | 'source' | 'arch'> | undefined {
  const parsed = parsePurlLoose(purl);
  if (parsed === undefined) return undefined;
  const arch = parsed.qualifiers.get('arch');
  const upstream = parsed.qualifiers.get('upstream');
  let source: { name: string; version: string } | undefined;
  if (upstream !== undefined) {
    const at = upstream.indexOf('@');
    source = at > 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream, version };
    if (source.name === name && source.version === version) source = undefined;
  }
  const lang = PURL_TYPES[parsed.type];
  if (lang) return { ...lang };
  if (parsed.type === 'deb' || parsed.type === 'apk' || parsed.type === 'rpm') {
    const distro = parsed.qualifiers.get('distro');
    const split = distro !== undefined ? splitDistro(distro) : undefined;
    const family = split?.family ?? parsed.namespace;
    const osVersion = split?.version ?? os?.version ?? '';
    const ecosystem = os?.ecosystem && (!split || familyOf(split.family) === os.family) ? os.ecosystem : ecosystemOf(family, osVersion) ?? family;
    return { type: parsed.type, ecosystem, ...(source ? { source } : {}), ...(arch ? { arch } : {}) };
  }
  return undefined;
}

function propertyMap(value: unknown): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const p of records(value)) {
    const name = str(p.name);
    const v = str(p.value);
    if (name === undefined || v === undefined) continue;
    map.set(name, [...(map.get(name) ?? []), v]);
  }
  return map;
}

function buildPackage(name: string, version: string, purl: string, props: Map<string, string[]>, licenses: string[], os: OSInfo | undefined): Package | undefined {
  const one = (key: string): string | undefined => props.get(`portwarden:${key}`)?.[0];
  const derived = purl ? fromPurl(purl, name, version, os) : undefined;
  const type = (one('type') as PackageType | undefined) ?? derived?.type;
  const ecosystem = one('ecosystem') ?? derived?.ecosystem;
  // Without a type we cannot pick a matcher; such components (files, unknown purl types) are skipped, not guessed.
  if (type === undefined || ecosystem === undefined) return undefined;
  // Trivy and Syft name the source package in their own property namespaces; prefer ours, then theirs.
  const sourceName = one('source:name') ?? props.get('aquasecurity:trivy:SrcName')?.[0] ?? props.get('syft:metadata:source')?.[0];
  const sourceVersion = one('source:version') ?? props.get('aquasecurity:trivy:SrcVersion')?.[0] ?? props.get('syft:metadata:sourceVersion')?.[0];
  const explicit = sourceName !== undefined && sourceName !== '' ? { name: sourceName, version: sourceVersion || version } : undefined;
  const source = explicit ?? derived?.source;
  const paths = props.get('portwarden:path') ?? [];
  const layers = props.get('portwarden:layer') ?? [];
  // Layers are only written for non-empty digests, so pair them with paths only when counts agree.
  const locations: Location[] = paths.map((path, i) => ({ layer: layers.length === paths.length ? (layers[i] ?? '') : '', path }));
  const arch = one('arch') ?? derived?.arch;
  const epoch = one('epoch');
  return {
    name, version, ecosystem, type, purl,
    ...(arch ? { arch } : {}),
    ...(epoch !== undefined && /^\d+$/.test(epoch) ? { epoch: Number(epoch) } : {}),
    ...(source ? { source } : {}),
    locations,
    ...(licenses.length > 0 ? { licenses } : {}),
    ...(one('dev') === 'true' ? { dev: true } : {}),
    ...(one('indirect') === 'true' ? { indirect: true } : {}),
  };
}

function osFrom(name: string, version: string, description: string | undefined, props: Map<string, string[]>): OSInfo {
  const family = familyOf(name);
  const codename = props.get('portwarden:os:codename')?.[0];
  const ecosystem = props.get('portwarden:os:ecosystem')?.[0] ?? ecosystemOf(family, version);
  return { family, version, name: description ?? `${name} ${version}`, ...(codename ? { codename } : {}), ...(ecosystem ? { ecosystem } : {}) };
}

function readCycloneDx(doc: Json, path: string): SbomContents {
  const components: Json[] = [];
  // Components may nest (CycloneDX assemblies); walk them iteratively so depth cannot blow the stack.
  const stack = [...records(doc.components)].reverse();
  while (stack.length > 0) {
    const c = stack.pop();
    if (c === undefined) break;
    components.push(c);
    stack.push(...records(c.components).reverse());
    if (components.length > 5_000_000) throw new UserInputError(`${path}: too many components`, 'invalid_sbom');
  }
  let os: OSInfo | undefined;
  for (const c of components) {
    if (c.type === 'operating-system' && os === undefined) {
      os = osFrom(str(c.name) ?? 'unknown', str(c.version) ?? '', str(c.description), propertyMap(c.properties));
    }
  }
  const packages: Package[] = [];
  for (const c of components) {
    if (c.type === 'operating-system') continue;
    const name = str(c.name);
    if (name === undefined) continue;
    const licenses = records(c.licenses).map((l) => (isRecord(l.license) ? str(l.license.id) ?? str(l.license.name) : str(l.expression))).filter((l): l is string => l !== undefined);
    const pkg = buildPackage(name, str(c.version) ?? '', str(c.purl) ?? '', propertyMap(c.properties), licenses, os);
    if (pkg) packages.push(pkg);
  }
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const subject = isRecord(metadata.component) ? metadata.component : undefined;
  const subjectProps = propertyMap(subject?.properties);
  const target = subjectProps.get('portwarden:target')?.[0] ?? str(subject?.name);
  const digest = subjectProps.get('portwarden:digest')?.[0] ?? (/^sha256:[0-9a-f]{64}$/.test(str(subject?.version) ?? '') ? str(subject?.version) : undefined);
  return { packages, ...(os ? { os } : {}), ...(target ? { target } : {}), ...(digest ? { digest } : {}) };
}

function readSpdx(doc: Json, path: string): SbomContents {
  const spdxPackages = records(doc.packages);
  if (spdxPackages.length > 5_000_000) throw new UserInputError(`${path}: too many packages`, 'invalid_sbom');
  let os: OSInfo | undefined;
  let target: string | undefined;
  let digest: string | undefined;
  const commentProps = (p: Json): Map<string, string[]> => {
    // Portwarden writes its properties as `portwarden:key=value` lines in the package comment.
    const map = new Map<string, string[]>();
    for (const line of (str(p.comment) ?? '').split('\n')) {
      const eq = line.indexOf('=');
      if (!line.startsWith('portwarden:') || eq < 0) continue;
      const key = line.slice(0, eq);
      map.set(key, [...(map.get(key) ?? []), unescapeCommentValue(line.slice(eq + 1))]);
    }
    return map;
  };
  const describes = new Set(Array.isArray(doc.documentDescribes) ? doc.documentDescribes.filter((d): d is string => typeof d === 'string') : []);
  const isSubject = (p: Json): boolean => p.primaryPackagePurpose === 'CONTAINER' || (typeof p.SPDXID === 'string' && describes.has(p.SPDXID));
  for (const p of spdxPackages) {
    if (p.primaryPackagePurpose === 'OPERATING-SYSTEM' && os === undefined) {
      os = osFrom(str(p.name) ?? 'unknown', str(p.versionInfo) ?? '', str(p.description), commentProps(p));
    }
    if (isSubject(p) && target === undefined) {
      const props = commentProps(p);
      target = props.get('portwarden:target')?.[0] ?? str(p.name);
      digest = props.get('portwarden:digest')?.[0] ?? (/^sha256:[0-9a-f]{64}$/.test(str(p.versionInfo) ?? '') ? str(p.versionInfo) : undefined);
    }
  }
  const packages: Package[] = [];
  for (const p of spdxPackages) {
    if (p.primaryPackagePurpose === 'OPERATING-SYSTEM' || isSubject(p)) continue;
    const name = str(p.name);
    if (name === undefined) continue;
    const purl = records(p.externalRefs).find((r) => r.referenceType === 'purl' && typeof r.referenceLocator === 'string')?.referenceLocator as string | undefined;
    const declared = str(p.licenseDeclared);
    const licenses = declared && declared !== 'NOASSERTION' && declared !== 'NONE' ? declared.split(' AND ') : [];
    const pkg = buildPackage(name, str(p.versionInfo) ?? '', purl ?? '', commentProps(p), licenses, os);
    if (pkg) packages.push(pkg);
  }
  return { packages, ...(os ? { os } : {}), ...(target ? { target } : {}), ...(digest ? { digest } : {}) };
}

export function readSbom(text: string, path: string): SbomContents {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${path}: not valid JSON (only CycloneDX JSON and SPDX JSON are read): ${errorMessage(err)}`, 'invalid_sbom', { cause: err });
  }
  if (!isRecord(doc)) throw new UserInputError(`${path}: not a CycloneDX or SPDX JSON document`, 'invalid_sbom');
  if (doc.bomFormat === 'CycloneDX') {
    const spec = str(doc.specVersion) ?? '';
    if (!/^1\.[2-6]$/.test(spec)) throw new UserInputError(`${path}: CycloneDX specVersion ${spec || '(missing)'} not supported (1.4–1.6)`, 'invalid_sbom');
    return readCycloneDx(doc, path);
  }
  const spdxVersion = str(doc.spdxVersion);
  if (spdxVersion !== undefined) {
    if (spdxVersion !== 'SPDX-2.2' && spdxVersion !== 'SPDX-2.3') throw new UserInputError(`${path}: ${spdxVersion} not supported (SPDX-2.2, SPDX-2.3)`, 'invalid_sbom');
    return readSpdx(doc, path);
  }
  throw new UserInputError(`${path}: not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion)`, 'invalid_sbom');
}
