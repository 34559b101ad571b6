/**
 * API tokens. A token is 32 random bytes shown once; only its SHA-256 is stored. A fast hash is
 * right here (unlike passwords) because the secret has 256 bits of entropy: no guessing attack
 * benefits from a slow hash, and verification stays cheap on every request.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { UserInputError } from '../util/errors.ts';

export const SCOPES = ['scan:read', 'scan:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const TOKEN_PREFIX = 'pw_';
const TOKEN_RE = /^pw_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function parseScopes(text: string): Scope[] {
  const scopes = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (scopes.length === 0) throw new UserInputError('scope: give at least one of scan:read, scan:write, admin');
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new UserInputError(`scope: unknown scope "${s}" (allowed: ${SCOPES.join(', ')})`);
  }
  return [...new Set(scopes)] as Scope[];
}

export interface CreatedToken { id: string; name: string; token: string; scopes: Scope[] }

export async function createToken(db: Kysely<Database>, name: string, scopes: Scope[]): Promise<CreatedToken> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UserInputError('name: 1-64 characters of letters, digits, dot, dash or underscore');
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const existing = await db.selectFrom('api_tokens').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) throw new UserInputError(`a token named "${name}" already exists`, 'token_exists');
  await db.insertInto('api_tokens').values({ id, name, token_hash: hashToken(token), scopes: scopes.join(','), last_used_at: null, revoked_at: null }).execute();
  return { id, name, token, scopes };
}

export interface TokenIdentity { id: string; name: string; scopes: Scope[] }

/** How long a verified token is trusted without asking the store again (revocations elsewhere take this long). */
export const VERIFIED_TOKEN_TTL_MS = 2000;
const MAX_VERIFIED_TOKENS = 1000;

interface VerifiedToken { identity: TokenIdentity; expiresAt: number }
interface VerifiedTokens {
  /** Keyed by token hash; only successful verifications are kept, so made-up tokens cannot fill it. */
  byHash: Map<string, VerifiedToken>;
  /** Bumped by every revocation: a lookup that overlapped one is answered but not remembered. */
  revocations: number;
}
const verifiedTokens = new WeakMap<object, VerifiedTokens>();

function verifiedCache(db: object): VerifiedTokens {
  let cache = verifiedTokens.get(db);
  if (!cache) {
    cache = { byHash: new Map(), revocations: 0 };
    verifiedTokens.set(db, cache);
  }
  return cache;
}

/** Returns the token's identity, or undefined for unknown, malformed or revoked tokens. */
export async function verifyToken(db: Kysely<Database>, token: string): Promise<TokenIdentity | undefined> {
  if (!TOKEN_RE.test(token)) return undefined;
  const hash = hashToken(token);
  const cache = verifiedCache(db);
  const known = cache.byHash.get(hash);
  if (known && known.expiresAt > Date.now()) return known.identity;
  cache.byHash.delete(hash);
  const revocationsBefore = cache.revocations;
  const identity = await lookupToken(db, hash);
  if (identity && cache.revocations === revocationsBefore) {
    cache.byHash.set(hash, { identity, expiresAt: Date.now() + VERIFIED_TOKEN_TTL_MS });
    if (cache.byHash.size > MAX_VERIFIED_TOKENS) {
      const oldest = cache.byHash.keys().next();
      if (!oldest.done) cache.byHash.delete(oldest.value);
    }
  }
  return identity;
}

async function lookupToken(db: Kysely<Database>, hash: string): Promise<TokenIdentity | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) return undefined;
  // The lookup already matched on the hash; the constant-time compare guards against a future
  // change to a prefix or partial lookup leaking timing.
  const a = Buffer.from(row.token_hash, 'hex');
  const b = Buffer.from(hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  return { id: row.id, name: row.name, scopes: row.scopes.split(',') as Scope[] };
}

export async function countActiveTokens(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('api_tokens').select(sql<string>`count(*)`.as('n')).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function listTokens(db: Kysely<Database>): Promise<Array<{ id: string; name: string; scopes: string; created_at: Date; revoked_at: Date | null }>> {
  return db.selectFrom('api_tokens').select(['id', 'name', 'scopes', 'created_at', 'revoked_at']).orderBy('created_at').execute();
}

export async function revokeToken(db: Kysely<Database>, name: string): Promise<boolean> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: sql<Date>`clock_timestamp()` }).where('name', '=', name).where('revoked_at', 'is', null).returning('id').executeTakeFirst();
  const cache = verifiedCache(db);
  cache.revocations++;
  for (const [hash, known] of cache.byHash) if (known.identity.name === name) cache.byHash.delete(hash);
  return Boolean(r);
}

export function hasScope(identity: TokenIdentity, needed: Scope): boolean {
  return identity.scopes.includes('admin') || identity.scopes.includes(needed);
}
