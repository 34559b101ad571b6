/** Records produced by the npm-family parsers before they become inventory packages. */
export interface NodePackage {
  name: string;
  version: string;
  licenses?: string[];
  /** Only a development dependency (lockfile `dev` flag, or reachable only from devDependencies). */
  dev?: boolean;
  /** Reached through another dependency; undefined when the format cannot tell (package-lock v1). */
  indirect?: boolean;
  /** Lockfile detail worth keeping: `workspace` for linked workspace members, `resolved` URL, … */
  metadata?: Record<string, unknown>;
}

/** Per-install-path flags from a v2/v3 package-lock (`node_modules/a/node_modules/b` → flags). */
export interface InstallPathFlags {
  dev: boolean;
  optional: boolean;
}
