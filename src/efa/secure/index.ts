// Secure links for the EFA fabric: an attested handshake per link and AES-256-GCM on every packet
// (research/efa-srd.md §3.4; attacks.md NET-01..10, CT-04, CT-05).
export { type SecureLinkDefences, DEFAULT_DEFENCES, defencesWith } from './defences.ts';
export {
  LINK_VERSION_0,
  LINK_VERSION_1,
  LINK_SUITE_NULL,
  LINK_SUITE_P384_AES256GCM_SHA384,
  LINK_FLAG_ENCRYPT,
  SECURE_LINK_OVERHEAD_BYTES,
  SECURE_LINK_HEADER_BYTES,
  SECURE_LINK_CRYPTO_LATENCY_PS,
  REKEY_AFTER_PACKETS_DEFAULT,
  KEY_USAGE_PACKETS_MAX,
  REPLAY_WINDOW_DEFAULT,
} from './constants.ts';
export {
  type LinkEvidence,
  type EvidenceBinding,
  type EvidencePolicy,
  type PeerClaim,
  evidenceBinding,
  identityUserData,
  verifyEvidence,
} from './evidence.ts';
export { type LinkEndpointOptions, LinkHandshakeInitiator, LinkHandshakeResponder } from './handshake.ts';
export { type LinkParty, type LinkRole, LinkSession, linkSessionFromDomainSecret } from './session.ts';
export {
  type ProtectorMode,
  type RejectReason,
  type SecureLinkProtectorOptions,
  REJECT_REASONS,
  SecureLinkProtector,
} from './protector.ts';
export { type SealedHeader, isSealedHeader, linkNonce } from './envelope.ts';
export { ReplayWindow } from './replay-window.ts';
export { type PaddingPolicy, PADDING_PREFIX_BYTES, mtuPadding, paddedBytes } from './padding.ts';
export { runLinkHandshake, createAttestedMesh, createDomainProtectors } from './pairing.ts';

import type { HostId } from '../contracts.ts';
import { type SecureLinkProtectorOptions, SecureLinkProtector } from './protector.ts';

/** The PacketProtector for `host`'s NIC (contracts.ts); add sessions as handshakes complete. */
export function createSecureLinkProtector(options: SecureLinkProtectorOptions & { readonly host: HostId }): SecureLinkProtector {
  return new SecureLinkProtector(options);
}
