/**
 * Image config text (ENV entries, history `created_by`) is copied into reports for context; values
 * of variables whose names say they hold credentials are masked so a report never carries them.
 * (The secret scanner reports those values as findings, redacted the same way.)
 */
const SENSITIVE_ASSIGNMENT = /\b([A-Za-z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_]*)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"']+)/gi;

export function redactConfigText(text: string): string {
  return text.replace(SENSITIVE_ASSIGNMENT, (_m, name: string, eq: string, value: string) => `${name}${eq}${maskValue(value)}`);
}

function maskValue(value: string): string {
  const bare = value.replace(/^["']|["']$/g, '');
  if (bare.length === 0) return value;
  return `${bare.slice(0, Math.min(2, Math.floor(bare.length / 4)))}*****`;
}
