import { EmuError } from '../../errors.ts';
import {
  type P384KeyPair,
  type RandomSource,
  concatBytes,
  hkdfSha384,
  sha384,
  utf8,
  wipe,
} from '../../crypto/index.ts';
import type { HostId } from '../contracts.ts';
import { LINK_SUITE_NULL, LINK_SUITE_P384_AES256GCM_SHA384 } from './constants.ts';
import type { SecureLinkDefences } from './defences.ts';
import { type EvidenceBinding, type EvidencePolicy, type LinkEvidence, type PeerClaim, evidenceBinding, verifyEvidence } from './evidence.ts';
import { type Hello, RANDOM_BYTES } from './messages.ts';
import { spiFrom } from './session.ts';

// The pieces of the link handshake both sides share: options, key schedule, transcripts, peer checks.

const LABEL_RESPONDER_FINISHED = utf8('nitro-emu efa-link v1 responder finished');
const LABEL_INITIATOR_FINISHED = utf8('nitro-emu efa-link v1 initiator finished');
const LABEL_MASTER = utf8('nitro-emu efa-link v1 master');
const LABEL_KEYS_ONLY = utf8('nitro-emu efa-link v1 keys-only transcript');
export const KNOWN_SUITES: readonly number[] = [LINK_SUITE_P384_AES256GCM_SHA384, LINK_SUITE_NULL];

export interface LinkEndpointOptions {
  readonly host: HostId;
  readonly rank: number;
  readonly jobId: string;
  readonly random: RandomSource;
  /** Produces this side's evidence for its ephemeral key (an NSM attestation request, or a device token). */
  readonly attest: (binding: EvidenceBinding) => LinkEvidence;
  readonly policy: EvidencePolicy;
  /** Job membership (CT-04): may this attested peer join? Default: any attested peer of the same job. */
  readonly admitPeer?: (peer: PeerClaim) => boolean;
  readonly defences?: SecureLinkDefences;
  /** What this side proposes; tests use it to play a legacy or downgrading peer. */
  readonly offer?: { readonly version?: number; readonly suites?: readonly number[]; readonly flags?: number };
}

export type State = 'start' | 'waiting' | 'done' | 'failed';

export interface Derived {
  readonly responderFinished: Uint8Array;
  readonly initiatorFinished: Uint8Array;
  readonly master: Uint8Array;
  readonly spi: number;
}

export function derive(shared: Uint8Array, th: Uint8Array): Derived {
  const master = hkdfSha384(shared, th, LABEL_MASTER, 48);
  return {
    responderFinished: hkdfSha384(shared, th, LABEL_RESPONDER_FINISHED, 48),
    initiatorFinished: hkdfSha384(shared, th, LABEL_INITIATOR_FINISHED, 48),
    master,
    spi: spiFrom(master, th),
  };
}

export function wipeDerived(d: Derived): void {
  wipe(d.responderFinished);
  wipe(d.initiatorFinished);
  wipe(d.master);
}

/** With downgrade protection off the transcript binds only the two keys: the naive design NET-07 attacks. */
export function coreTranscript(defences: SecureLinkDefences, clientHello: Uint8Array, serverCore: Uint8Array, ch: Hello, sh: Hello): Uint8Array {
  if (defences.downgradeProtection) return sha384(concatBytes(clientHello, serverCore));
  return sha384(concatBytes(LABEL_KEYS_ONLY, ch.ephemeralPublicKey, sh.ephemeralPublicKey, ch.random, sh.random));
}

export function fullTranscript(defences: SecureLinkDefences, core: Uint8Array, clientHello: Uint8Array, serverHello: Uint8Array): Uint8Array {
  return defences.downgradeProtection ? sha384(concatBytes(clientHello, serverHello)) : core;
}

export function checkPeer(options: LinkEndpointOptions, defences: SecureLinkDefences, hello: Hello): void {
  if (hello.jobId !== options.jobId) {
    throw new EmuError('LINK_HANDSHAKE_JOB_MISMATCH', 'the peer is in another job', { ours: options.jobId, theirs: hello.jobId });
  }
  if (!defences.peerAuthentication) return;
  const claim: PeerClaim = { host: hello.host, rank: hello.rank, jobId: hello.jobId };
  verifyEvidence(hello.evidence, hello.ephemeralPublicKey, claim, options.policy);
  if (options.admitPeer !== undefined && !options.admitPeer(claim)) {
    throw new EmuError('LINK_HANDSHAKE_NOT_MEMBER', 'the attested peer is not a member of this job', { host: hello.host, rank: hello.rank });
  }
}

export function ownHello(options: LinkEndpointOptions, key: P384KeyPair, peerHost: HostId, suites: readonly number[], version: number, flags: number): Hello {
  const claim: PeerClaim = { host: options.host, rank: options.rank, jobId: options.jobId };
  return {
    version,
    suites,
    flags,
    jobId: options.jobId,
    host: options.host,
    rank: options.rank,
    peerHost,
    random: options.random.bytes(RANDOM_BYTES),
    ephemeralPublicKey: key.publicKey,
    evidence: options.attest(evidenceBinding(key.publicKey, claim)),
  };
}

