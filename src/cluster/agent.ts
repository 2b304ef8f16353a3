// The enclave's link agent: what an enclave brings to a link handshake. Its randomness is its NSM's GetRandom and
// its evidence is an attestation document its own NSM signs over the handshake's ephemeral key (public_key) and
// the identity claim (user_data = identityUserData): nothing the parent or the fabric could produce.
import type { RandomSource } from '../crypto/index.ts';
import { NsmClient } from '../enclave/index.ts';
import type { EvidencePolicy, LinkEndpointOptions, PeerClaim, SecureLinkDefences } from '../efa/index.ts';
import { EmuError, assert } from '../errors.ts';
import { DOCUMENT_MAX_AGE_MS } from '../world/index.ts';
import type { HostState } from './hosts.ts';

/** One call's worth of randomness at most (handshakes ask for 32–48 bytes at a time). */
const RANDOM_REQUEST_BYTES_MAX = 1 << 16;
const NSM_CALLS_PER_REQUEST_MAX = 4096;

/** A RandomSource over an enclave's NSM GetRandom (each call returns a block; we cut it to what is asked). */
export function nsmRandom(nsm: NsmClient): RandomSource {
  let pool: Uint8Array = new Uint8Array(0);
  let used = 0;
  return {
    bytes(length: number): Uint8Array {
      assert(Number.isSafeInteger(length) && length >= 0 && length <= RANDOM_REQUEST_BYTES_MAX, `random request of ${length} bytes`);
      const out = new Uint8Array(length);
      let filled = 0;
      for (let calls = 0; filled < length; calls++) {
        assert(calls < NSM_CALLS_PER_REQUEST_MAX, 'the NSM keeps returning no randomness');
        if (used >= pool.length) {
          pool = nsm.getRandom();
          used = 0;
          continue;
        }
        const take = Math.min(length - filled, pool.length - used);
        out.set(pool.subarray(used, used + take), filled);
        used += take;
        filled += take;
      }
      return out;
    },
  };
}

export interface JobTrust {
  readonly jobId: string;
  /** Fabric host of each rank: a peer must claim the rank that sits where it speaks from. */
  readonly hostOfRank: readonly number[];
  /** PCR0 of the image the job approved. */
  readonly pcr0Allowlist: readonly Uint8Array[];
  /** The hosts' agreed time (ms since epoch) at which documents are judged. */
  readonly atMs: number;
  readonly defences: SecureLinkDefences;
}

/** The handshake options of one rank's enclave; throws CLUSTER_NOT_LAUNCHED if it has no running enclave. */
export function agentEndpoint(state: HostState, nsm: NsmClient, trust: JobTrust): LinkEndpointOptions {
  if (state.enclave === undefined) throw new EmuError('CLUSTER_NOT_LAUNCHED', `rank ${state.rank} has no enclave`);
  const policy: EvidencePolicy = {
    verifier: state.world.verifier,
    pcr0Allowlist: trust.pcr0Allowlist,
    atMs: trust.atMs,
    maxAgeMs: DOCUMENT_MAX_AGE_MS,
  };
  return {
    host: state.host,
    rank: state.rank,
    jobId: trust.jobId,
    random: nsmRandom(nsm),
    attest: (binding) => ({ kind: 'enclave', document: nsm.attestation({ publicKey: binding.publicKeySpki, userData: binding.userData }) }),
    policy,
    // Membership: the attested peer must be the rank the job placed on the host it speaks from.
    admitPeer: (peer: PeerClaim) => Number.isSafeInteger(peer.rank) && trust.hostOfRank[peer.rank] === peer.host,
    defences: trust.defences,
  };
}

export function nsmOf(state: HostState): NsmClient {
  const enclave = state.enclave;
  if (enclave === undefined) throw new EmuError('CLUSTER_NOT_LAUNCHED', `rank ${state.rank} has no enclave`);
  return new NsmClient((request) => state.world.host.nsmRequestFor(enclave.enclaveId, request));
}
