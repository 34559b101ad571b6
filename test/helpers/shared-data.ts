/**
 * Access to the staged third-party data in ../shared/data (never copied into the repo).
 * When it is missing: outside CI the calling test is skipped; with CI set, the test fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = process.env.PORTWARDEN_SHARED_DATA ?? path.resolve(REPO_ROOT, '../shared/data');

export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/** Absolute path of a file under ../shared/data. */
export function sharedData(...parts: string[]): string {
  return path.join(SHARED_DATA, ...parts);
}

/**
 * Returns true when the shared data path exists. Otherwise fails the test under CI, or skips it
 * (returning false) on a developer machine without the data.
 */
export function haveSharedData(t: TestContext, ...parts: string[]): boolean {
  const p = sharedData(...parts);
  if (existsSync(p)) return true;
  if (IN_CI) throw new Error(`shared test data missing under CI: ${p}`);
  t.skip(`shared data not found: ${p}`);
  return false;
}

/** Like haveSharedData for suites that need a system tool or server: fail under CI, skip elsewhere. */
export function requireOrSkip(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  if (IN_CI) throw new Error(`required for this test under CI but unavailable: ${what}`);
  t.skip(`unavailable: ${what}`);
  return false;
}
