/**
 * `dir:ROOTFS`: an unpacked root filesystem (a `umoci unpack` rootfs, a debootstrap tree, a
 * mounted container). There are no layers: the walker reads the directory itself (`rootDir`).
 * The config is synthetic, with only os and the host architecture filled in.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageSource } from '../types.ts';
import { PortwardenError, UserInputError, errorMessage } from '../../util/errors.ts';

const NODE_ARCH_TO_OCI: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export async function openDirectory(dir: string): Promise<ImageSource> {
  const abs = path.resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new UserInputError(`dir:${dir}: cannot scan (${errorMessage(err)})`, 'invalid_target');
  }
  const architecture = NODE_ARCH_TO_OCI[process.arch] ?? process.arch;
  return {
    transport: 'dir',
    reference: `dir:${abs}`,
    config: { os: 'linux', architecture, rootfs: { type: 'layers', diff_ids: [] }, config: {} },
    layers: [],
    rootDir: abs,
    async openLayer(): Promise<Readable> {
      throw new PortwardenError('no_layers', `dir:${abs} has no layers; walk rootDir instead`);
    },
    async close(): Promise<void> {},
  };
}
