/**
 * `WWW-Authenticate` parsing per RFC 7235 §4.1: one header may carry several challenges separated
 * by commas, and parameter values may be quoted strings containing commas and escaped quotes
 * (`Bearer realm="https://a/token",scope="repository:x:pull,push"`).
 */
export interface AuthChallenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const MAX_HEADER_LENGTH = 16 * 1024;

export function parseAuthChallenges(header: string): AuthChallenge[] {
  const s = header.length > MAX_HEADER_LENGTH ? header.slice(0, MAX_HEADER_LENGTH) : header;
  const out: AuthChallenge[] = [];
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < s.length && chars.test(s[i] as string)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const bare = (): string => {
    const start = i;
    while (i < s.length && !/[\s,]/.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    // Caller has checked s[i] === '"'.
    i++;
    let value = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      value += s[i];
      i++;
    }
    i++; // closing quote (or end of input for an unterminated string)
    return value;
  };

  while (i < s.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (!scheme) {
      // Not a token where a scheme must start: skip the character rather than loop forever.
      if (i < s.length) i++;
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    while (i < s.length) {
      const save = i;
      skip(/[\s,]/);
      const name = token();
      skip(/[ \t]/);
      if (!name || s[i] !== '=') {
        // The next challenge's scheme (or a token68 credential, which registries never send).
        i = save;
        break;
      }
      i++; // '='
      skip(/[ \t]/);
      // Unquoted values should be RFC tokens, but servers send bare URLs too: take up to `,`/space.
      const value = s[i] === '"' ? quoted() : bare();
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return out;
}
