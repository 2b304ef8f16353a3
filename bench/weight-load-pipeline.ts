import { resourceUsage } from 'node:process';
import { Worker } from 'node:worker_threads';
import { LockstepChannel, PAGE_BYTES } from '../src/accelerator/index.ts';
import { decryptFramedStream, wipe } from '../src/crypto/index.ts';
import { EmuError, assert } from '../src/errors.ts';
import { type SealedModel, ShardReader, shardAad, shardCount } from './weight-load-model.ts';
import type { FromDevice, ToDevice } from './weight-load-protocol.ts';

/**
 * The confidential weight load, enclave side on this thread, device side on a worker: at-rest framed decrypt → h2d
 * seal into a bounce buffer → (worker) mirror open, tag first → protected memory. Bounce buffers cross by transfer, at
 * most `queueChunksMax` in flight, so the only memory that grows with the model is the device's own.
 */
export const QUEUE_CHUNKS_DEFAULT = 4;
const QUEUE_CHUNKS_MAX = 64;

export interface LoadOptions {
  readonly sessionSecret: Uint8Array;
  readonly queueChunksMax?: number;
  readonly onWritten?: (writtenBytes: number) => void;
  /** The untrusted host's hand on the shared staging buffer, between the enclave's seal and the device's open. */
  readonly hostTamper?: (chunkIndex: number, staged: Uint8Array) => void;
}

export interface LoadResult {
  readonly loadedBytes: number;
  readonly chunks: number;
  /** Wall time from the first shard read to the last chunk written (device thread up, device memory reserved). */
  readonly seconds: number;
  /** Allocating and zeroing device memory before the load; not in `seconds` (HBM exists before weights arrive). */
  readonly reserveSeconds: number;
  /** Resident set once the device thread is up, before device memory is reserved. */
  readonly rssBaselineBytes: number;
  readonly rssPeakBytes: number;
  /** What starting the device thread (isolate, loader, modules) added; outside the load's growth. */
  readonly deviceThreadRssBytes: number;
  readonly deviceSha256Hex: string;
  readonly residentPages: number;
  /** The device thread's JS heap growth over the load: ProtectedMemory's per-page objects, part of the overhead. */
  readonly deviceHeapGrowthBytes: number;
}

const rss = () => process.memoryUsage.rss();
// maxRSS is in KiB (getrusage).
const maxRss = () => resourceUsage().maxRSS * 1024;

/** The main thread's end of the device worker: bounded in-flight count, one waiter at a time. */
class DeviceLink {
  readonly #worker = new Worker(new URL('./weight-load-worker.mjs', import.meta.url));
  readonly #pendingLengths: number[] = [];
  readonly #onWritten: ((writtenBytes: number) => void) | undefined;
  #wake: (() => void) | undefined;
  #failure: EmuError | undefined;
  #closing = false;
  #ready = false;
  #reservedRssBytes: number | undefined;
  #done: { sha256Hex: string; residentPages: number; heapGrowthBytes: number } | undefined;
  #writtenBytes = 0;
  #nextAck = 0;
  rssPeakBytes = 0;

  constructor(onWritten: ((writtenBytes: number) => void) | undefined) {
    this.#onWritten = onWritten;
    this.#worker.on('message', (message: FromDevice) => this.#receive(message));
    this.#worker.on('error', (error) => this.#fail(new EmuError('BENCH_DEVICE_CRASHED', `device thread died: ${error.message}`)));
    this.#worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(new EmuError('BENCH_DEVICE_CRASHED', `device thread exited (code ${code})`));
    });
  }

  get inFlight(): number {
    return this.#pendingLengths.length;
  }

  async start(sessionSecret: Uint8Array, capacityBytes: number): Promise<void> {
    this.#post({ kind: 'init', sessionSecret, capacityBytes });
    await this.until(() => this.#ready);
  }

  /** Allocates and zeroes every device page, so the load writes into memory that exists, as HBM does. */
  async reserve(): Promise<number> {
    this.#post({ kind: 'reserve' });
    await this.until(() => this.#reservedRssBytes !== undefined);
    return this.#reservedRssBytes ?? 0;
  }

  send(index: number, address: number, staged: Uint8Array, plaintextBytes: number): void {
    // A transfer hands over the whole ArrayBuffer: it must be exactly this bounce buffer.
    assert(staged.byteOffset === 0 && staged.byteLength === staged.buffer.byteLength, 'bounce buffer must own its ArrayBuffer');
    this.#pendingLengths.push(plaintextBytes);
    this.#worker.postMessage({ kind: 'chunk', index, address, staged } satisfies ToDevice, [staged.buffer as ArrayBuffer]);
  }

  async finish(lengthBytes: number): Promise<{ sha256Hex: string; residentPages: number; heapGrowthBytes: number }> {
    this.#post({ kind: 'finish', lengthBytes });
    await this.until(() => this.#done !== undefined);
    assert(this.#done !== undefined, 'finish resolved without a result');
    return this.#done;
  }

  /** Waits for messages until `condition` holds; the device's first failure is thrown instead. */
  async until(condition: () => boolean): Promise<void> {
    // Every round consumes at least one message from the device, and the device answers each request once.
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      if (condition()) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker.terminate();
  }

  #post(message: ToDevice): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromDevice): void {
    switch (message.kind) {
      case 'ready':
        this.#ready = true;
        break;
      case 'reserved':
        this.#reservedRssBytes = message.rssBytes;
        break;
      case 'written': {
        assert(message.index === this.#nextAck, `device acknowledged chunk ${message.index}, expected ${this.#nextAck}`);
        this.#nextAck++;
        this.#writtenBytes += this.#pendingLengths.shift() ?? 0;
        this.rssPeakBytes = Math.max(this.rssPeakBytes, message.rssBytes, rss());
        this.#onWritten?.(this.#writtenBytes);
        break;
      }
      case 'done':
        this.#done = { sha256Hex: message.sha256Hex, residentPages: message.residentPages, heapGrowthBytes: message.heapGrowthBytes };
        break;
      case 'failed':
        this.#fail(
          new EmuError(message.code, `device side: ${message.message}`, {
            residentPages: message.residentPages,
            memorySha256Hex: message.memorySha256Hex,
          }),
        );
        break;
    }
    this.#wake?.();
  }

  #fail(error: EmuError): void {
    this.#failure ??= error;
    this.#wake?.();
  }
}

export async function loadSealedModel(model: SealedModel, options: LoadOptions): Promise<LoadResult> {
  const queueChunksMax = options.queueChunksMax ?? QUEUE_CHUNKS_DEFAULT;
  assert(Number.isSafeInteger(queueChunksMax) && queueChunksMax >= 1 && queueChunksMax <= QUEUE_CHUNKS_MAX, `bad queue bound ${queueChunksMax}`);
  const { sizeBytes } = model.layout;
  const count = shardCount(model.layout);
  const rssBeforeDevice = rss();
  const link = new DeviceLink(options.onWritten);
  try {
    await link.start(options.sessionSecret, Math.ceil(sizeBytes / PAGE_BYTES) * PAGE_BYTES);
    const rssBaselineBytes = rss();
    const maxRssBefore = maxRss();
    const reserveStart = performance.now();
    link.rssPeakBytes = Math.max(rssBaselineBytes, await link.reserve());
    const reserveSeconds = (performance.now() - reserveStart) / 1000;
    const h2d = new LockstepChannel(options.sessionSecret, 'h2d-data');
    const reader = new ShardReader(model);
    const start = performance.now();
    let address = 0;
    let index = 0;
    try {
      for (let shard = 0; shard < count; shard++) {
        const sealedShard = reader.next();
        assert(sealedShard !== undefined, 'sealed model has fewer shards than its layout');
        for (const plaintext of decryptFramedStream(sealedShard, model.dataKey, shardAad(shard, count))) {
          const staged = h2d.seal(plaintext);
          const length = plaintext.length;
          wipe(plaintext);
          options.hostTamper?.(index, staged);
          await link.until(() => link.inFlight < queueChunksMax);
          link.send(index, address, staged, length);
          address += length;
          index++;
        }
      }
      await link.until(() => link.inFlight === 0);
    } finally {
      reader.close();
    }
    const seconds = (performance.now() - start) / 1000;
    // maxRSS only says something about this load if the load raised it; otherwise it is an older peak.
    const maxRssAfter = maxRss();
    const rssPeakBytes = Math.max(link.rssPeakBytes, rss(), maxRssAfter > maxRssBefore ? maxRssAfter : 0);
    if (address !== sizeBytes) {
      throw new EmuError('BENCH_INPUT_SIZE', 'sealed model decrypted to a different size than its layout', { expectedBytes: sizeBytes, foundBytes: address });
    }
    const device = await link.finish(address);
    return {
      loadedBytes: address,
      chunks: index,
      seconds,
      rssBaselineBytes,
      rssPeakBytes,
      deviceThreadRssBytes: rssBaselineBytes - rssBeforeDevice,
      reserveSeconds,
      deviceSha256Hex: device.sha256Hex,
      residentPages: device.residentPages,
      deviceHeapGrowthBytes: device.heapGrowthBytes,
    };
  } finally {
    await link.close();
  }
}
