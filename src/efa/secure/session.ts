import { EmuError, assert } from '../../errors.ts';
import { concatBytes, hkdfSha384, utf8, wipe } from '../../crypto/index.ts';
import type { HostId } from '../contracts.ts';
import { JOB_ID_BYTES_MAX, LINK_SUITE_NULL, LINK_SUITE_P384_AES256GCM_SHA384, LINK_VERSION_1 } from './constants.ts';
import { DEFAULT_DEFENCES, type SecureLinkDefences } from './defences.ts';

export interface LinkParty {
  readonly host: HostId;
  readonly rank: number;
}

export type LinkRole = 'initiator' | 'responder';

/** Direction bit in labels and nonces: 0 = initiator → responder, 1 = responder → initiator. */
export type LinkDirection = 0 | 1;

const KEY_LABEL = utf8('nitro-emu efa-link v1 traffic key');
const SPI_LABEL = utf8('nitro-emu efa-link v1 spi');
const DOMAIN_LABEL = utf8('nitro-emu efa-link v1 domain link');
const MASTER_BYTES = 48;

export function checkJobId(jobId: string): Uint8Array {
  const bytes = utf8(jobId);
  if (bytes.length < 1 || bytes.length > JOB_ID_BYTES_MAX) {
    throw new EmuError('LINK_BAD_JOB_ID', `job id must be 1..${JOB_ID_BYTES_MAX} bytes of UTF-8`, { jobIdBytes: bytes.length });
  }
  return bytes;
}

function u32(value: number): Uint8Array {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 out of range: ${value}`);
  return Uint8Array.of(value >>> 24, value >>> 16, value >>> 8, value & 0xff);
}

/**
 * The keys of one link (local ↔ peer, one job) after an attested handshake (or from a domain secret for large
 * experiments). Traffic keys are HKDF-SHA384(master, label ‖ job ‖ src ‖ dst ‖ direction ‖ epoch): each direction,
 * link, job and epoch has its own key, so ciphertext spliced between any two of them fails its tag (NET-09).
 */
export class LinkSession {
  readonly spi: number;
  readonly jobId: string;
  readonly local: LinkParty;
  readonly peer: LinkParty;
  readonly role: LinkRole;
  readonly version: number;
  readonly suite: number;
  /** False only for a null-suite session, which downgrade protection never lets through. */
  readonly encrypted: boolean;
  readonly defences: SecureLinkDefences;
  readonly #master: Uint8Array;
  readonly #jobBytes: Uint8Array;
  #wiped = false;

  constructor(init: {
    readonly master: Uint8Array;
    readonly spi: number;
    readonly jobId: string;
    readonly local: LinkParty;
    readonly peer: LinkParty;
    readonly role: LinkRole;
    readonly version: number;
    readonly suite: number;
    readonly encrypted: boolean;
    readonly defences: SecureLinkDefences;
  }) {
    assert(init.master.length === MASTER_BYTES, 'link master secret must be 48 bytes');
    assert(init.local.host !== init.peer.host, 'a link joins two different hosts');
    this.#master = init.master.slice();
    this.#jobBytes = checkJobId(init.jobId);
    this.spi = init.spi >>> 0;
    this.jobId = init.jobId;
    this.local = init.local;
    this.peer = init.peer;
    this.role = init.role;
    this.version = init.version;
    this.suite = init.suite;
    this.encrypted = init.encrypted;
    this.defences = init.defences;
  }

  get initiatorHost(): HostId {
    return this.role === 'initiator' ? this.local.host : this.peer.host;
  }

  directionOf(src: HostId): LinkDirection {
    return src === this.initiatorHost ? 0 : 1;
  }

  get txDirection(): LinkDirection {
    return this.role === 'initiator' ? 0 : 1;
  }

  /** 16-bit nonce context: per link (from the SPI) and per direction, so the two directions never share a nonce. */
  context(direction: LinkDirection): number {
    return ((this.spi & 0x7fff) << 1) | direction;
  }

  /** Traffic key of (src → dst) at `epoch`. With aadBinding off it is the naive per-epoch key shared by everything. */
  trafficKey(src: HostId, dst: HostId, epoch: number): Uint8Array {
    assert(!this.#wiped, 'link session used after wipe');
    assert(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0xffff, `bad epoch ${epoch}`);
    const epochBytes = Uint8Array.of(epoch >>> 8, epoch & 0xff);
    const info = this.defences.aadBinding
      ? concatBytes(KEY_LABEL, u32(this.#jobBytes.length), this.#jobBytes, u32(src), u32(dst), Uint8Array.of(this.directionOf(src)), epochBytes)
      : concatBytes(KEY_LABEL, epochBytes);
    return hkdfSha384(this.#master, new Uint8Array(0), info, 32);
  }

  wipe(): void {
    wipe(this.#master);
    this.#wiped = true;
  }
}

export function spiFrom(master: Uint8Array, transcriptHash: Uint8Array): number {
  const out = hkdfSha384(master, transcriptHash, SPI_LABEL, 4);
  return ((out[0]! << 24) >>> 0) + ((out[1]! << 16) | (out[2]! << 8) | out[3]!);
}

/**
 * A link keyed from a shared domain secret instead of a handshake (PSP-style, research/efa-srd.md §3.4): for large
 * experiments that should not run a P-384 handshake per host pair, and for tests where many links share one secret
 * (so only the labels keep them apart). The lower host id plays the initiator. Not for attested deployments.
 */
export function linkSessionFromDomainSecret(init: {
  readonly domainSecret: Uint8Array;
  readonly jobId: string;
  readonly local: LinkParty;
  readonly peer: LinkParty;
  readonly defences?: SecureLinkDefences;
}): LinkSession {
  assert(init.domainSecret.length >= 32, 'domain secret must be at least 32 bytes');
  const job = checkJobId(init.jobId);
  const low = Math.min(init.local.host, init.peer.host);
  const high = Math.max(init.local.host, init.peer.host);
  const master = hkdfSha384(init.domainSecret, new Uint8Array(0), DOMAIN_LABEL, MASTER_BYTES);
  const spi = spiFrom(master, concatBytes(u32(low), u32(high), job));
  const session = new LinkSession({
    master,
    spi,
    jobId: init.jobId,
    local: init.local,
    peer: init.peer,
    role: init.local.host === low ? 'initiator' : 'responder',
    version: LINK_VERSION_1,
    suite: LINK_SUITE_P384_AES256GCM_SHA384,
    encrypted: true,
    defences: init.defences ?? DEFAULT_DEFENCES,
  });
  wipe(master);
  return session;
}

export function suiteEncrypts(suite: number): boolean {
  return suite !== LINK_SUITE_NULL;
}
