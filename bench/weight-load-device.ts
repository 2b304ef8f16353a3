import { parentPort } from 'node:worker_threads';
import { LockstepChannel, ProtectedMemory } from '../src/accelerator/index.ts';
import { Sha256Stream, wipe } from '../src/crypto/index.ts';
import { EmuError, assert } from '../src/errors.ts';
import type { FromDevice, ToDevice } from './weight-load-protocol.ts';

/**
 * The device side of the weight load, on its own thread so its AEAD pass overlaps the enclave's two: the copy engine's
 * path (the mirror h2d channel opens the bounce buffer, tag first, then the plaintext goes into protected memory).
 * Built from the accelerator's components, not the device class, so the benchmark measures the data path alone.
 */
assert(parentPort !== null, 'weight-load-device.ts runs only as a worker thread');
const port = parentPort;
const HASH_READ_BYTES = 1024 * 1024;
const RESERVE_STEP_BYTES = 1024 * 1024;
/** AES-GCM tag appended to every bounce buffer. */
const TAG_BYTES = 16;

let channel: LockstepChannel | undefined;
let memory: ProtectedMemory | undefined;
let failed = false;
let heapAtReadyBytes = 0;

const reply = (message: FromDevice) => port.postMessage(message);

function hashMemory(memory: ProtectedMemory, lengthBytes: number): string {
  const hash = new Sha256Stream();
  const reads = Math.ceil(lengthBytes / HASH_READ_BYTES);
  for (let i = 0; i < reads; i++) {
    const at = i * HASH_READ_BYTES;
    const bytes = memory.read(at, Math.min(HASH_READ_BYTES, lengthBytes - at));
    hash.update(bytes);
    wipe(bytes);
  }
  return hash.peekHex();
}

function handle(message: ToDevice): void {
  switch (message.kind) {
    case 'init': {
      assert(channel === undefined, 'device initialised twice');
      channel = new LockstepChannel(message.sessionSecret, 'h2d-data');
      memory = new ProtectedMemory(message.capacityBytes);
      wipe(message.sessionSecret);
      heapAtReadyBytes = process.memoryUsage().heapUsed;
      reply({ kind: 'ready', rssBytes: process.memoryUsage.rss() });
      return;
    }
    case 'reserve': {
      assert(memory !== undefined, 'reserve before init');
      const zeros = new Uint8Array(RESERVE_STEP_BYTES);
      for (let at = 0; at < memory.capacityBytes; at += RESERVE_STEP_BYTES) {
        memory.write(at, zeros.subarray(0, Math.min(RESERVE_STEP_BYTES, memory.capacityBytes - at)));
      }
      reply({ kind: 'reserved', rssBytes: process.memoryUsage.rss() });
      return;
    }
    case 'chunk': {
      assert(channel !== undefined && memory !== undefined, 'chunk before init');
      // Check the range before spending the tag check, and never write a byte of a buffer whose tag failed.
      memory.checkRange(message.address, Math.max(0, message.staged.length - TAG_BYTES));
      const plaintext = channel.open(message.staged);
      memory.write(message.address, plaintext);
      wipe(plaintext);
      reply({ kind: 'written', index: message.index, rssBytes: process.memoryUsage.rss() });
      return;
    }
    case 'finish': {
      assert(memory !== undefined, 'finish before init');
      const heapGrowthBytes = process.memoryUsage().heapUsed - heapAtReadyBytes;
      reply({ kind: 'done', sha256Hex: hashMemory(memory, message.lengthBytes), residentPages: memory.residentPages(), heapGrowthBytes });
      return;
    }
  }
}

port.on('message', (message: ToDevice) => {
  if (failed) return;
  try {
    handle(message);
  } catch (error) {
    failed = true;
    reply({
      kind: 'failed',
      code: error instanceof EmuError ? error.code : 'BENCH_DEVICE_CRASHED',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      residentPages: memory?.residentPages() ?? 0,
      memorySha256Hex: memory === undefined ? '' : hashMemory(memory, memory.capacityBytes),
    });
  }
});
