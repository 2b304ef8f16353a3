import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RandomSource, Sha256Stream, aes256GcmSeal, encryptFramed, utf8, wipe } from '../src/crypto/index.ts';
import { EmuError, assert } from '../src/errors.ts';

/**
 * The sealed model on disk, as the enclave receives it: shards of framed AES-256-GCM (src/crypto/frames.ts) under one
 * data key, written one after another into one file. Shards exist because `decryptFramedStream` opens a message held
 * in memory and node has no mmap: one framed message per shard keeps the reader's buffer at one shard, not 1 GiB.
 * Each shard's caller AAD binds its index and the shard count, so a reordered, swapped or dropped shard fails its
 * header tag (a shard moved within the file, or a file cut at a shard boundary, never decrypts).
 */
export const MIB = 1024 * 1024;
export const WEIGHT_BYTES_MAX = 4096 * MIB;
export const FRAME_BYTES_DEFAULT = MIB;
export const SHARD_BYTES_DEFAULT = 8 * MIB;
/** The frame format's own bounds (frames-format.ts); checked here so a bad layout fails before any file is written. */
const FRAME_BYTES_MIN = 1024;
const FRAME_BYTES_MAX = MIB;
const SHARD_BYTES_MAX = 256 * MIB;

export interface WeightLayout {
  readonly sizeBytes: number;
  /** Plaintext per shard; a multiple of frameBytes so every frame but the model's last is full. */
  readonly shardBytes: number;
  /** Plaintext per frame, and the chunk size of every later pass (bounce buffer, ceiling). */
  readonly frameBytes: number;
}

export interface SealedModel {
  readonly dir: string;
  readonly path: string;
  readonly layout: WeightLayout;
  readonly dataKey: Uint8Array;
  /** Sealed length of each shard in file order; not trusted: a wrong length fails the frame checks. */
  readonly shardSealedBytes: readonly number[];
  readonly plaintextSha256Hex: string;
}

export function checkLayout(layout: WeightLayout): void {
  const { sizeBytes, shardBytes, frameBytes } = layout;
  const bad = (message: string) => new EmuError('BENCH_BAD_LAYOUT', message, { sizeBytes, shardBytes, frameBytes });
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1 || sizeBytes > WEIGHT_BYTES_MAX) {
    throw bad(`weights must be 1..${WEIGHT_BYTES_MAX} bytes`);
  }
  if (!Number.isSafeInteger(frameBytes) || frameBytes < FRAME_BYTES_MIN || frameBytes > FRAME_BYTES_MAX) {
    throw bad(`frames must be ${FRAME_BYTES_MIN}..${FRAME_BYTES_MAX} bytes`);
  }
  if (!Number.isSafeInteger(shardBytes) || shardBytes < frameBytes || shardBytes > SHARD_BYTES_MAX || shardBytes % frameBytes !== 0) {
    throw bad(`a shard must be a whole number of frames, at most ${SHARD_BYTES_MAX} bytes`);
  }
}

export function shardCount(layout: WeightLayout): number {
  return Math.ceil(layout.sizeBytes / layout.shardBytes);
}

export function shardLength(layout: WeightLayout, shard: number): number {
  return Math.min(layout.shardBytes, layout.sizeBytes - shard * layout.shardBytes);
}

/** Plaintext length of every frame in load order: the chunk schedule every pass (and the ceiling) follows. */
export function* chunkLengths(layout: WeightLayout): Generator<number, void, void> {
  const count = shardCount(layout);
  for (let shard = 0; shard < count; shard++) {
    const length = shardLength(layout, shard);
    for (let at = 0; at < length; at += layout.frameBytes) yield Math.min(layout.frameBytes, length - at);
  }
}

export function shardAad(shard: number, count: number): Uint8Array {
  return utf8(`nitro-emu bench weights v1 shard ${shard} of ${count}`);
}

/**
 * Deterministic stand-in weights: chunk `index` is AES-256-CTR keystream (GCM over zeros, tag dropped) under `seedKey`,
 * so every chunk differs (a misplaced chunk changes the device's hash) and 1 GiB is made at AES speed.
 */
export class WeightSource {
  readonly #seedKey: Uint8Array;
  readonly #zeros: Uint8Array;

  constructor(seedKey: Uint8Array, frameBytes: number) {
    this.#seedKey = seedKey.slice();
    this.#zeros = new Uint8Array(frameBytes);
  }

  chunk(index: number, length: number): Uint8Array {
    assert(Number.isSafeInteger(index) && index >= 0 && index < 2 ** 32, `bad chunk index ${index}`);
    assert(length >= 0 && length <= this.#zeros.length, `bad chunk length ${length}`);
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, index);
    return aes256GcmSeal(this.#seedKey, iv, this.#zeros.subarray(0, length)).subarray(0, length);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  // Each write moves at least one byte or throws, so this ends within bytes.length rounds.
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes the sealed model into a fresh temp dir, one shard in memory at a time. */
export function prepareSealedModel(
  layout: WeightLayout,
  source: WeightSource,
  random: RandomSource,
  onShard?: (preparedBytes: number) => void,
): SealedModel {
  checkLayout(layout);
  const dir = mkdtempSync(join(tmpdir(), 'nitro-emu-weights-'));
  const path = join(dir, 'model.sealed');
  const dataKey = random.bytes(32);
  const hash = new Sha256Stream();
  const count = shardCount(layout);
  const shardSealedBytes: number[] = [];
  const plain = new Uint8Array(layout.shardBytes);
  const fd = openSync(path, 'w');
  try {
    let chunkIndex = 0;
    for (let shard = 0; shard < count; shard++) {
      const length = shardLength(layout, shard);
      for (let at = 0; at < length; at += layout.frameBytes) {
        const chunk = source.chunk(chunkIndex++, Math.min(layout.frameBytes, length - at));
        plain.set(chunk, at);
        hash.update(chunk);
      }
      const sealed = encryptFramed(plain.subarray(0, length), dataKey, { random, frameLength: layout.frameBytes, aad: shardAad(shard, count) });
      writeAll(fd, sealed);
      shardSealedBytes.push(sealed.length);
      onShard?.(shard * layout.shardBytes + length);
    }
  } catch (error) {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    wipe(plain);
  }
  closeSync(fd);
  return { dir, path, layout, dataKey, shardSealedBytes, plaintextSha256Hex: hash.peekHex() };
}

export function removeSealedModel(model: SealedModel): void {
  rmSync(model.dir, { recursive: true, force: true });
}

/** Reads shards in file order into one reused buffer; a shard is valid until the next `next()`. */
export class ShardReader {
  readonly #fd: number;
  readonly #buffer: Uint8Array;
  readonly #lengths: readonly number[];
  #shard = 0;

  constructor(model: SealedModel) {
    this.#lengths = model.shardSealedBytes;
    this.#buffer = new Uint8Array(this.#lengths.reduce((a, b) => Math.max(a, b), 0));
    this.#fd = openSync(model.path, 'r');
  }

  next(): Uint8Array | undefined {
    const length = this.#lengths[this.#shard];
    if (length === undefined) return undefined;
    this.#shard++;
    let done = 0;
    while (done < length) {
      const read = readSync(this.#fd, this.#buffer, done, length - done, null);
      if (read === 0) throw new EmuError('BENCH_INPUT_SHORT', 'sealed model file ends inside a shard', { shard: this.#shard - 1 });
      done += read;
    }
    return this.#buffer.subarray(0, length);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
