/**
 * A real registry (Debian's docker-registry = CNCF Distribution 2.8) per test suite, in one of three
 * auth modes: none, basic (htpasswd, bcrypt) or token (a JWT token server in this process, signed
 * by a key whose self-signed certificate is the registry's `rootcertbundle`).
 *
 * Usage: `const reg = await startRegistry({ auth: 'token' }); t.after(() => reg.stop());`
 * Registry processes are also killed when the test process exits, so a failing suite leaks nothing.
 *
 * In token mode the token server runs inside the test process: drive external clients (skopeo,
 * the CLI) with async `execFile`, never `execFileSync`/`spawnSync`, or the client waits for a token
 * from an event loop that is blocked waiting for the client.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  auth: 'none' | 'basic' | 'token';
  username?: string;
  password?: string;
  /** The registry's storage root (`docker/registry/v2/blobs/sha256/<2>/<hex>/data` holds blobs). */
  rootDir: string;
  stop(): Promise<void>;
  /** for token mode: tokens issued so far, with scopes */
  tokenRequests?: { scope: string[]; account?: string }[];
  /** The registry process id (to check it is gone after stop). */
  pid?: number;
}

export interface StartRegistryOptions {
  auth?: 'none' | 'basic' | 'token';
  username?: string;
  password?: string;
  notifications?: { url: string; headers?: Record<string, string[]> };
  /** token mode: grant `pull` without credentials (like Docker Hub public repositories). */
  anonymousPull?: boolean;
}

const run = promisify(execFile);
export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** True when the real registry and the tools for its auth modes are installed. */
export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY) && existsSync('/usr/bin/htpasswd') && existsSync('/usr/bin/openssl');
}

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function cleanupNow(): void {
  for (const c of liveChildren) c.kill('SIGKILL');
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  liveChildren.clear();
  liveDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: kill and remove, nothing that awaits.
  process.once('exit', cleanupNow);
  // A test runner timing out, or Ctrl-C, ends the process by signal, which skips 'exit': clean up,
  // then re-raise so the process still dies of that signal as it would have.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      cleanupNow();
      process.kill(process.pid, signal);
    });
  }
}
function trackChild(child: ChildProcess, dir: string): void {
  installExitHook();
  liveChildren.add(child);
  liveDirs.add(dir);
  child.once('exit', () => liveChildren.delete(child));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${logs()}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer /v2/ within 20 s: ${logs()}`);
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface TokenServer {
  realm: string;
  certPath: string;
  requests: { scope: string[]; account?: string }[];
  close(): Promise<void>;
}

const SERVICE = 'portwarden-test-registry';
const ISSUER = 'portwarden-test-token-issuer';

async function startTokenServer(dir: string, username: string, password: string, anonymousPull: boolean): Promise<TokenServer> {
  const keyPath = path.join(dir, 'token.key');
  const certPath = path.join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=portwarden-test-token']);
  const key = await readFile(keyPath, 'utf8');
  const certDer = (await readFile(certPath, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const requests: { scope: string[]; account?: string }[] = [];
  const refreshTokens = new Map<string, string>();

  const sameSecret = (a: string, b: string): boolean => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  };

  const issue = (account: string | undefined, scopes: string[]): { token: string; expires_in: number; issued_at: string } => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((s) => {
      const m = /^([a-z]+):(.+):([a-z*,]+)$/.exec(s);
      if (!m) return [];
      const requested = (m[3] ?? '').split(',');
      const allowed = account ? requested : anonymousPull ? requested.filter((a) => a === 'pull') : [];
      return allowed.length ? [{ type: m[1], name: m[2], actions: allowed }] : [];
    });
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: ISSUER, sub: account ?? '', aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    return { token: `${signingInput}.${base64url(signature)}`, expires_in: 300, issued_at: new Date(now * 1000).toISOString() };
  };

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/token') return reply(res, 404, { error: 'not found' });
    let account: string | undefined;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const decoded = Buffer.from(authz.slice(6), 'base64').toString();
      const colon = decoded.indexOf(':');
      if (!sameSecret(decoded.slice(0, colon), username) || !sameSecret(decoded.slice(colon + 1), password)) {
        return reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
      }
      account = username;
    }
    if (req.method === 'POST') {
      // OAuth2 form flow (what `docker login` does when the registry hands out refresh tokens).
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const grant = form.get('grant_type');
      if (grant === 'password') {
        if (form.get('username') !== username || form.get('password') !== password) {
          return reply(res, 401, { error: 'invalid_grant' });
        }
        account = username;
      } else if (grant === 'refresh_token') {
        account = refreshTokens.get(form.get('refresh_token') ?? '');
        if (!account) return reply(res, 401, { error: 'invalid_grant' });
      } else {
        return reply(res, 400, { error: 'unsupported_grant_type' });
      }
      const scope = (form.get('scope') ?? '').split(' ').filter(Boolean);
      requests.push({ scope, account });
      const refresh = randomBytes(16).toString('hex');
      refreshTokens.set(refresh, account);
      const t = issue(account, scope);
      return reply(res, 200, { access_token: t.token, expires_in: t.expires_in, issued_at: t.issued_at, refresh_token: refresh });
    }
    const scope = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push(account ? { scope, account } : { scope });
    const t = issue(account, scope);
    return reply(res, 200, { token: t.token, access_token: t.token, expires_in: t.expires_in, issued_at: t.issued_at });
  };

  const server: Server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { error: String(err) }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certPath,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Starts a registry on a free loopback port; resolves once `/v2/` answers. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const username = opts.username ?? 'portwarden';
  const password = opts.password ?? 'correct horse battery staple';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-registry-'));
  const rootDir = path.join(dir, 'storage');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: rootDir }, delete: { enabled: true } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  let tokenServer: TokenServer | undefined;
  if (auth === 'basic') {
    const { stdout } = await run('htpasswd', ['-Bbn', username, password]);
    await writeFile(path.join(dir, 'htpasswd'), stdout);
    config.auth = { htpasswd: { realm: 'portwarden-test', path: path.join(dir, 'htpasswd') } };
  } else if (auth === 'token') {
    tokenServer = await startTokenServer(dir, username, password, opts.anonymousPull ?? false);
    config.auth = { token: { realm: tokenServer.realm, service: SERVICE, issuer: ISSUER, rootcertbundle: tokenServer.certPath } };
  }
  if (opts.notifications) {
    config.notifications = {
      endpoints: [{ name: 'portwarden-test', url: opts.notifications.url, headers: opts.notifications.headers ?? {}, timeout: '2s', threshold: 5, backoff: '1s' }],
    };
  }
  const configPath = path.join(dir, 'config.yml');
  await writeFile(configPath, toYaml(config));

  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child, dir);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://${host}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await tokenServer?.close();
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  try {
    await waitForRegistry(url, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    url,
    auth,
    ...(auth !== 'none' ? { username, password } : {}),
    rootDir,
    stop,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    ...(tokenServer ? { tokenRequests: tokenServer.requests } : {}),
  };
}

/** Path of a blob's data file inside the registry storage (to corrupt it in tests). */
export function registryBlobPath(registry: TestRegistry, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return path.join(registry.rootDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}
