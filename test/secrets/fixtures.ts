/**
 * Test secrets, assembled at run time so the repository itself holds no literal token a
 * scanner (ours or a hosting provider's) would flag. None is live.
 */
const ALNUM = 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC2dF4gH6kL8nP0rS2uV4xY6zA8cD0fG2hJ4';

/** Deterministic mixed-case alphanumeric filler of `n` chars. */
export function filler(n: number, offset = 0): string {
  let s = '';
  let x = 2463534242 + offset * 7919;
  for (let i = 0; i < n; i++) {
    // xorshift32: varied, high-entropy, reproducible.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s += ALNUM[x % ALNUM.length];
  }
  return s;
}

export const GITHUB_PAT = `ghp_${filler(36)}`;
export const AWS_KEY_ID = `AKIA${'Q7RT2XJ4WZ6PL3NB'}`;
export const AWS_SECRET = filler(40, 3).replace(/[^A-Za-z0-9]/g, 'x');
export const STRIPE_KEY = `sk_live_${filler(24, 5)}`;
export const SLACK_WEBHOOK = `https://hooks.slack.com/services/T0${'1234567'}/B0${'1234567'}/${filler(24, 9)}`;
export const NPM_TOKEN = `npm_${filler(36, 11)}`;
export const PG_URL = `postgres://app:${'Zx9' + filler(13, 2)}@db.internal:5432/app`;

export function pemKey(label = 'RSA PRIVATE KEY'): string {
  const body: string[] = [];
  for (let i = 0; i < 8; i++) body.push(filler(64, i * 3));
  return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n`;
}
