/**
 * A real S3-compatible server per suite: moto's standalone server (`moto_server`, Python; on the
 * machine image with boto3, see scripts/ensure-test-deps.sh) on 127.0.0.1 with a random port and
 * IAM authentication ON, so a wrong key or secret is refused as AWS refuses it. The first three
 * (unauthenticated) requests create an IAM user with an allow-all policy and an access key; every
 * later request must be signed with that key.
 *
 * Usage: `const s3 = await startS3Server(t); if (!s3) return; t.after(() => s3.stop());`
 * Unavailable: fails under CI; elsewhere skips `t`, or (without `t`, in a `before` hook) returns
 * undefined for the suite to skip its tests. Processes are killed when the test process exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { AwsClient } from 'aws4fetch';
import type { S3Credentials } from '../../src/store/s3-client.ts';
import { IN_CI, requireOrSkip } from './shared-data.ts';

export interface TestS3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  region: string;
  credentials: S3Credentials;
  createBucket(name: string): Promise<void>;
  /** Another IAM user whose only permissions are `actions` (e.g. ['s3:GetObject']). */
  createUser(name: string, actions: string[]): Promise<S3Credentials>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/** moto_server on PATH, or the moto module of the PATH python3. */
function motoCommand(): string[] | undefined {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0) return ['moto_server'];
  if (spawnSync('python3', ['-c', 'import moto.server, flask'], { stdio: 'ignore' }).status === 0) return ['python3', '-m', 'moto.server'];
  return undefined;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function waitForPort(child: ChildProcess, logs: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto_server did not start within ${timeoutMs} ms: ${logs()}`)), timeoutMs);
    const onData = () => {
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(logs());
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`moto_server exited with ${code}: ${logs()}`)); });
  });
}

async function iamCall(endpoint: string, params: Record<string, string>, signer?: S3Credentials): Promise<string> {
  // Without a signer: a throw-away key, for the server's unauthenticated start-up allowance.
  const iam = new AwsClient({ ...(signer ?? { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' }), service: 'iam', region: REGION, retries: 0 });
  const res = await iam.fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    // Encoded as Python's urlencode does, which the server re-creates to check the signature.
    body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString().replace(/\*/g, '%2A'),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action} failed: ${res.status} ${text}`);
  return text;
}

function accessKey(xml: string): S3Credentials {
  const accessKeyId = /<AccessKeyId>([^<]+)</.exec(xml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(xml)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`no access key in ${xml}`);
  return { accessKeyId, secretAccessKey };
}

function policy(actions: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
}

export async function startS3Server(t?: TestContext): Promise<TestS3Server | undefined> {
  const cmd = motoCommand();
  if (!cmd) {
    const what = 'moto_server (python3 moto[server]) for the S3 object store tests';
    if (t) requireOrSkip(t, false, what);
    else if (IN_CI) throw new Error(`required under CI but unavailable: ${what}`);
    return undefined;
  }
  const child = spawn(cmd[0]!, [...cmd.slice(1), '-H', '127.0.0.1', '-p', '0'], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3', MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
  }
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) { live.delete(child); return; }
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    live.delete(child);
  };
  try {
    const port = await waitForPort(child, () => out.slice(-2000), 30000);
    const endpoint = `http://127.0.0.1:${port}`;
    await iamCall(endpoint, { Action: 'CreateUser', UserName: 'portwarden' });
    const credentials = accessKey(await iamCall(endpoint, { Action: 'CreateAccessKey', UserName: 'portwarden' }));
    await iamCall(endpoint, { Action: 'PutUserPolicy', UserName: 'portwarden', PolicyName: 'all', PolicyDocument: policy(['*']) });
    const s3 = new AwsClient({ ...credentials, service: 's3', region: REGION, retries: 0 });
    return {
      endpoint, port, region: REGION, credentials, stop,
      async createUser(name: string, actions: string[]) {
        await iamCall(endpoint, { Action: 'CreateUser', UserName: name }, credentials);
        const creds = accessKey(await iamCall(endpoint, { Action: 'CreateAccessKey', UserName: name }, credentials));
        await iamCall(endpoint, { Action: 'PutUserPolicy', UserName: name, PolicyName: 'limited', PolicyDocument: policy(actions) }, credentials);
        return creds;
      },
      async createBucket(name: string) {
        const res = await s3.fetch(`${endpoint}/${name}`, { method: 'PUT' });
        if (!res.ok) throw new Error(`CreateBucket ${name}: ${res.status} ${await res.text()}`);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
