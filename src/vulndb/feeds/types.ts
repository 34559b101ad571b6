import type { OsvRecord } from '../osv.ts';

/** What a feed parser returns: the records it could build, and what it had to skip (with why). */
export interface FeedResult {
  records: OsvRecord[];
  invalid: { id?: string; reason: string }[];
}
