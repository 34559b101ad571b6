/**
 * One version scheme per ecosystem family, behind this interface (after Renovate's VersioningApi
 * and Grype's version formats). Every scheme lives in its own file under src/versions/ and is
 * registered once in src/versions/index.ts.
 */
export interface VersionScheme {
  /** Scheme id: `dpkg`, `apk`, `rpm`, `semver`, `pep440`, `maven`, `rubygems`, `nuget`, `go`, `composer`, `generic`, … */
  readonly id: string;
  /** `isValid('1:2.3-1')` → true for dpkg; false for strings the ecosystem's tool rejects. */
  isValid(version: string): boolean;
  /**
   * Total order agreeing with the ecosystem's own tool: negative if a < b, 0 if equal, positive if a > b.
   * Throws `InvalidVersionError` for a version `isValid` rejects.
   */
  compare(a: string, b: string): number;
}

export class InvalidVersionError extends Error {
  constructor(readonly scheme: string, readonly version: string, reason?: string) {
    super(`invalid ${scheme} version ${JSON.stringify(version)}${reason ? `: ${reason}` : ''}`);
    this.name = 'InvalidVersionError';
  }
}
