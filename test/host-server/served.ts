// Test helpers for a served host: a `host serve` child process, raw socket clients, hand-built NSM CBOR.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Decoder, Encoder } from 'cbor-x';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nitro-emu.mjs');

export interface ServeLine {
  readonly Socket: string;
  readonly NsmSocket: string;
  readonly Seed: number;
  readonly InstanceID: string;
  readonly NitroRootSha256: string;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly ready: ServeLine;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `nitro-emu host serve` and resolves once it printed its first stdout line (bounded by `waitMs`). */
export function startServe(args: string[], waitMs = 15_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'host', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`host serve did not start within ${waitMs} ms: ${stderr}`));
    }, waitMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      clearTimeout(timer);
      resolve({ child, ready: JSON.parse(stdout.slice(0, newline)) as ServeLine, stderr: () => stderr, exited });
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`host serve exited ${code} before it was ready: ${stderr}`));
    });
  });
}

/** A raw client of either socket: writes bytes, reads whole u32-length frames, notices the close. */
export class RawClient {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  writeFrame(payload: Uint8Array): void {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    this.socket.write(Buffer.concat([header, payload]));
  }

  /** The next frame, or null once the server closed the connection. */
  async readFrame(): Promise<Uint8Array | null> {
    for (let i = 0; i < 10_000; i++) {
      if (this.#buffer.length >= 4) {
        const length = this.#buffer.readUInt32BE(0);
        if (this.#buffer.length >= 4 + length) {
          const frame = new Uint8Array(this.#buffer.subarray(4, 4 + length));
          this.#buffer = this.#buffer.subarray(4 + length);
          return frame;
        }
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    throw new Error('no frame');
  }

  async json(): Promise<Record<string, any> | null> {
    const frame = await this.readFrame();
    return frame === null ? null : (JSON.parse(Buffer.from(frame).toString('utf8')) as Record<string, any>);
  }

  close(): void {
    this.socket.end();
  }
}

// Byte strings as plain major type 2 (no tag 64) and maps as plain maps (no tag 259), as serde_cbor writes them.
// useTag259ForMaps is a cbor-x option its typings do not list.
const encoder = new Encoder({ tagUint8Array: false, useRecords: false, useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

export function nsmRequest(value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(value));
}

export function nsmResponse(bytes: Uint8Array): any {
  return decoder.decode(bytes);
}
