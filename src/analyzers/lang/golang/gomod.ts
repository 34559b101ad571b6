/**
 * go.mod and go.sum parsers (pure). go.mod is read with the grammar of golang.org/x/mod/modfile
 * as far as inventory needs it: `module`, `go`, `toolchain`, `require` and `replace`, in single-line
 * and block form, with `//` comments (a `// indirect` comment marks an indirect requirement).
 */

export interface GoModRequire {
  path: string;
  version: string;
  indirect: boolean;
}

export interface GoModReplace {
  oldPath: string;
  /** '' when the directive replaces every version. */
  oldVersion: string;
  newPath: string;
  /** '' for a local directory replacement. */
  newVersion: string;
}

export interface GoModFile {
  module: string;
  goVersion: string;
  toolchain: string;
  requires: GoModRequire[];
  replaces: GoModReplace[];
}

/** Splits a line into tokens, honouring Go-quoted and back-quoted strings; returns the trailing comment separately. */
function tokenize(line: string): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (line.startsWith('//', i)) return { tokens, comment: line.slice(i + 2).trim() };
    if (c === '"' || c === '`') {
      let j = i + 1;
      let tok = '';
      while (j < line.length && line[j] !== c) {
        if (c === '"' && line[j] === '\\' && j + 1 < line.length) { tok += line[j + 1]; j += 2; continue; }
        tok += line[j];
        j++;
      }
      tokens.push(tok);
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && !/[\s"`]/.test(line[j] as string) && !line.startsWith('//', j)) j++;
    tokens.push(line.slice(i, j));
    i = j;
  }
  return { tokens, comment: '' };
}

function isIndirect(comment: string): boolean {
  // modfile accepts "indirect" alone or followed by "; other notes".
  return comment === 'indirect' || comment.startsWith('indirect;');
}

export function parseGoMod(text: string): GoModFile {
  const out: GoModFile = { module: '', goVersion: '', toolchain: '', requires: [], replaces: [] };
  let block: string | undefined;
  const handle = (verb: string, args: string[], comment: string): void => {
    if (verb === 'module' && args[0]) out.module = args[0];
    else if (verb === 'go' && args[0]) out.goVersion = args[0];
    else if (verb === 'toolchain' && args[0]) out.toolchain = args[0];
    else if (verb === 'require' && args.length >= 2) {
      out.requires.push({ path: args[0] as string, version: args[1] as string, indirect: isIndirect(comment) });
    } else if (verb === 'replace') {
      const arrow = args.indexOf('=>');
      if (arrow < 1) return;
      const left = args.slice(0, arrow);
      const right = args.slice(arrow + 1);
      if (right.length < 1) return;
      out.replaces.push({ oldPath: left[0] as string, oldVersion: left[1] ?? '', newPath: right[0] as string, newVersion: right[1] ?? '' });
    }
  };
  for (const raw of text.split('\n')) {
    const { tokens, comment } = tokenize(raw);
    if (block !== undefined) {
      if (tokens[0] === ')') { block = undefined; continue; }
      if (tokens.length > 0) handle(block, tokens, comment);
      continue;
    }
    if (tokens.length === 0) continue;
    const [verb, ...args] = tokens as [string, ...string[]];
    if (args[0] === '(') { block = verb; continue; }
    handle(verb, args, comment);
  }
  return out;
}

/** True for replacement targets that are directories, not modules (modfile.IsDirectoryPath). */
export function isLocalModulePath(p: string): boolean {
  return p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || p === '.' || p === '..' ||
    /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('.\\') || p.startsWith('..\\');
}

/**
 * The requirements after applying replace directives: a module replaced by another module is
 * reported as the replacement; one replaced by a local directory is dropped because no registry
 * version describes its code.
 */
export function resolveGoModRequires(mod: GoModFile): { path: string; version: string; indirect: boolean; replaced?: { path: string; version: string } }[] {
  const out: { path: string; version: string; indirect: boolean; replaced?: { path: string; version: string } }[] = [];
  for (const req of mod.requires) {
    const rep = mod.replaces.find((r) => r.oldPath === req.path && r.oldVersion === req.version) ??
      mod.replaces.find((r) => r.oldPath === req.path && r.oldVersion === '');
    if (!rep) { out.push({ ...req }); continue; }
    if (isLocalModulePath(rep.newPath) || rep.newVersion === '') continue;
    out.push({ path: rep.newPath, version: rep.newVersion, indirect: req.indirect, replaced: { path: req.path, version: req.version } });
  }
  return out;
}

/** go.sum: one module per path, the last (highest, go.sum is version-sorted) whose content hash is listed. */
export function parseGoSum(text: string): { path: string; version: string }[] {
  const byPath = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const [p, v] = f as [string, string];
    if (v.endsWith('/go.mod')) continue;
    byPath.set(p, v);
  }
  return [...byPath].map(([path, version]) => ({ path, version }));
}
