/**
 * The registry client's `dispatcher` option carries a connect-time `lookup` to every connection:
 * a registry reached by a name that exists in no DNS is pulled through the lookup's answer alone
 * (the address is pinned, not re-resolved), and a lookup that refuses a name fails the pull with
 * its error, without retries. The service builds its DNS-rebinding guard on this
 * (test/service/guarded-dispatcher.test.ts).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { buildImage, pushImage, type BuiltImage } from '../../helpers/image-builder.ts';
import { registryAvailable, startRegistry, type TestRegistry } from '../../helpers/registry.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { openRegistrySource } from '../../../src/image/sources/registry.ts';
import { RegistryError } from '../../../src/image/registry/errors.ts';

const AVAILABLE = registryAvailable();
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

describe('registry client with a pinned connect-time lookup', () => {
  let reg: TestRegistry | undefined;
  let image: BuiltImage;
  const asked: string[] = [];
  let answer: (hostname: string) => string | Error = () => '127.0.0.1';
  const lookup = (hostname: string, options: LookupOptions, cb: LookupCallback) => {
    asked.push(hostname);
    const a = answer(hostname);
    if (a instanceof Error) cb(Object.assign(a, { code: 'ERR_REFUSED_BY_TEST' }), []);
    else if (options.all) cb(null, [{ address: a, family: 4 }]);
    else cb(null, a, 4);
  };
  const agent = new Agent({ connect: { lookup } });

  before(async () => {
    if (!AVAILABLE) return;
    reg = await startRegistry({ auth: 'none' });
    image = await buildImage({ layers: [{ files: [{ path: 'etc/os-release', content: 'ID=debian\n' }] }] });
    await pushImage(reg, 'team/app', 'v1', image);
  });
  after(async () => {
    await agent.close();
    await reg?.stop();
  });

  const opts = (name: string) => ({
    env: {}, dockerConfigPath: '/nonexistent/config.json', logger: { warn: () => {} }, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    insecureRegistries: [name], dispatcher: agent,
  });

  test('a name no DNS knows is pulled through the lookup answer', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry') || !reg) return;
    const port = reg.host.split(':')[1];
    const name = `registry.pinned.invalid:${port}`;
    asked.length = 0;
    answer = () => '127.0.0.1';
    const src = await openRegistrySource(`${name}/team/app:v1`, opts(name));
    assert.equal(src.digest, image.manifest.digest);
    assert.ok(asked.includes('registry.pinned.invalid'), `lookup consulted: ${asked.join(',')}`);
  });

  test('a lookup that refuses the name fails the pull with its reason, once', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry') || !reg) return;
    const port = reg.host.split(':')[1];
    const name = `registry.refused.invalid:${port}`;
    asked.length = 0;
    answer = (h) => new Error(`${h} resolves to 169.254.169.254`);
    const err = await openRegistrySource(`${name}/team/app:v1`, opts(name)).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError, String(err));
    assert.match(err.message, /169\.254\.169\.254/);
    assert.deepEqual(asked, ['registry.refused.invalid'], 'a refusal is not retried');
  });
});
