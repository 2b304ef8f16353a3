/**
 * Handshake pieces of the nitro-emu secure channel (TLS-like, not TLS; the protocol is described in
 * secure-channel.ts): message constants, the strict reader, the key schedule and the MACs.
 */
import { createECDH, createHmac, timingSafeEqual } from 'node:crypto';
import { EmuError } from '../errors.ts';
import { hkdfSha384 } from './aead.ts';
import { concatBytes, equalBytes, utf8, wipe } from './bytes.ts';
import type { ParsedCertificate } from './x509-parse.ts';

export const SCHAN_VERSION_1 = 0x0001;
/** ECDHE-P384, ECDSA-P384 certificates, AES-256-GCM records, HKDF-SHA384. */
export const SCHAN_SUITE_P384_AES256GCM_SHA384 = 0x0001;
export const SUPPORTED_VERSIONS = [SCHAN_VERSION_1] as const;
export const SUPPORTED_SUITES = [SCHAN_SUITE_P384_AES256GCM_SHA384] as const;
export const MAGIC = utf8('NESC');
export const CLIENT_HELLO = 0x01;
export const SERVER_HELLO = 0x02;
export const FINISHED = 0x03;
export const RANDOM_BYTES = 32;
export const MAC_BYTES = 48;
export const CHAIN_CERTS_MAX = 8;
export const LIST_ITEMS_MAX = 16;
export const SIGNATURE_CONTEXT = utf8('nitro-emu secure channel v1 (TLS-like, not TLS): server signature\0');

export function fail(code: string, message: string): never {
  throw new EmuError(code, message);
}

/**
 * P-384 ECDH, the x-coordinate (same result as p384SharedSecret), through OpenSSL: a handshake does two, and
 * noble's takes ~8 ms each where OpenSSL's takes well under one. OpenSSL refuses points not on the curve.
 */
export function ecdhP384(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const ecdh = createECDH('secp384r1');
  try {
    ecdh.setPrivateKey(privateKey);
    return new Uint8Array(ecdh.computeSecret(peerPublicKey));
  } catch {
    throw new EmuError('ECDH_BAD_PUBLIC_KEY', 'the peer key share is not a valid P-384 point');
  }
}

export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha384', key).update(data).digest());
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

/** True when a frame opens a secure-channel handshake (a server may sniff it and switch modes). */
export function isSecureChannelHello(frame: Uint8Array): boolean {
  return frame.length > 5 && equalBytes(frame.subarray(0, 4), MAGIC) && frame[4] === CLIENT_HELLO;
}

export class Reader {
  #offset: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
    start: number,
  ) {
    this.#offset = start;
  }
  take(length: number): Uint8Array {
    if (this.#offset + length > this.bytes.length) fail('SCHAN_BAD_HANDSHAKE', `${this.what} is truncated`);
    const out = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }
  get offset(): number {
    return this.#offset;
  }
  end(): void {
    if (this.#offset !== this.bytes.length) fail('SCHAN_BAD_HANDSHAKE', `${this.what} has trailing bytes`);
  }
}

export function openHandshake(message: Uint8Array | null, type: number, what: string): Reader {
  if (message === null) fail('SCHAN_HANDSHAKE_CLOSED', `the peer closed before its ${what}`);
  if (message.length < 5 || !equalBytes(message.subarray(0, 4), MAGIC) || message[4] !== type) {
    fail('SCHAN_BAD_HANDSHAKE', `expected a ${what}`);
  }
  return new Reader(message, what, 5);
}

export function list(reader: Reader): number[] {
  const count = reader.u8();
  if (count === 0 || count > LIST_ITEMS_MAX) fail('SCHAN_BAD_HANDSHAKE', `${reader.what} offers ${count} items`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(reader.u16());
  return out;
}

export interface Schedule {
  readonly clientWrite: { key: Uint8Array; iv: Uint8Array };
  readonly serverWrite: { key: Uint8Array; iv: Uint8Array };
  readonly serverFinishedKey: Uint8Array;
  readonly clientFinishedKey: Uint8Array;
}

export function keySchedule(shared: Uint8Array, transcriptHash: Uint8Array, version: number, suite: number): Schedule {
  const info = concatBytes(utf8('nitro-emu secure channel v1 keys'), u16(version), u16(suite));
  const okm = hkdfSha384(shared, transcriptHash, info, 32 + 12 + 32 + 12 + MAC_BYTES + MAC_BYTES);
  let at = 0;
  const next = (n: number) => okm.slice(at, (at += n));
  const schedule = {
    clientWrite: { key: next(32), iv: next(12) },
    serverWrite: { key: next(32), iv: next(12) },
    serverFinishedKey: next(MAC_BYTES),
    clientFinishedKey: next(MAC_BYTES),
  };
  wipe(okm);
  return schedule;
}

export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}


export function clientHello(random: Uint8Array, keyShare: Uint8Array, versions: readonly number[]): Uint8Array {
  const suites = SUPPORTED_SUITES;
  return concatBytes(
    MAGIC,
    Uint8Array.of(CLIENT_HELLO, versions.length),
    ...versions.map(u16),
    Uint8Array.of(suites.length),
    ...suites.map(u16),
    random,
    keyShare,
  );
}

export function serverNameOf(cert: ParsedCertificate): string | undefined {
  const cn = cert.subject.split(/,\s*/).find((part) => part.startsWith('CN='));
  return cn?.slice(3);
}

