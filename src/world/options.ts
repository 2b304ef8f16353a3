import {
  DEFAULT_DEFENCES as DEVICE_DEFENCES,
  DEFAULT_DRIVER_DEFENCES,
  type AcceleratorDefences,
  type AcceleratorFlavour,
  type DriverDefences,
  type TransformerShape,
} from '../accelerator/index.ts';
import { NITRO_DEFENCES, type HypervisorDefences } from '../hypervisor/index.ts';
import type { FaultPlan, LogSink } from '../sim/index.ts';

/**
 * Every defence of the world, each with a switch (DESIGN.md: negative controls). A scenario names the
 * one it relies on; its control run turns that one off. Each switch is wired where its defence lives.
 */
export interface WorldDefences extends HypervisorDefences, AcceleratorDefences, DriverDefences {
  /** The model key's policy releases it only to the approved image's PCR0, and its explicit Deny beats any grant. Off: the parent's role may Decrypt (KP-06). */
  readonly attestedKeyPolicy: boolean;
  // Accelerators: the device's own defences (tagCheckBeforeWrite, lockstepCounters, sessionBinding, memoryFirewall,
  // scrubOnReset, antiRollbackFuse, modeChangeOnlyAtReset) live in AcceleratorDefences; the enclave driver's checks
  // (verifyDeviceChain, checkMeasurements, requireConfidentialMode, enforceMinSvn, bindSessionToAttestedKey,
  // attestPeersBeforeGroupKey) in DriverDefences: turning one off builds an image whose measured device policy skips it.
  // Host and platform: auditBeforeEffect (OP-06), signedFirmwareOnly (OP-07), noCrashDumps (OP-11),
  // guestMemoryIsolation (CT-01) and closedOperatorApi (OP-01/02/04/05) live in HypervisorDefences.
  // So do deviceIommu (a device's DMA reaches only its instance's frames; OP-03, DEV-04) and
  // deviceResetOnReassign (a released accelerator is reset and scrubbed before reassignment; CT-03, OP-10).
  /** The owner puts only ciphertext of the weights on the parent's disk. Off: it also stages the plaintext model file there (OP-08). */
  readonly weightsEncryptedAtRest: boolean;
  /** The NSM refuses to extend or lock a locked PCR. Off: it accepts (PA-10). */
  readonly nsmLockEnforced: boolean;
  /** Revoked platform certificates are refused by verifiers. Off: revocation is ignored (RB-05). */
  readonly revocationChecked: boolean;
  // KMS
  /** KMS trusts only its pinned root, never the document's cabundle[0]. Off: it trusts the bundle (PA-04). */
  readonly kmsPinnedRoot: boolean;
  /** With a Recipient, KMS returns secrets only encrypted to the document's public key. Off: in plaintext (PA-03, PA-05). */
  readonly kmsRecipientEncryption: boolean;
  /** Attestation nonces are single-use. Off: a nonce may be reused (PA-11). */
  readonly kmsNonceSingleUse: boolean;
  /** Documents older than the maximum age are refused. Off: any age is accepted (PA-14). */
  readonly kmsDocumentFreshness: boolean;
  /** KMS refuses key policies the linter flags as errors. Off: it stores them (KP-01…KP-05, RB-03). */
  readonly policyLint: boolean;
  /** The owner's key policy names only the current release: it drops a superseded image's PCR0 and a superseded model's encryption context. Off: old ones stay allowed (RB-02, RB-04). */
  readonly policyRotation: boolean;
  /** A shared key's policy ties each tenant's image to its own model's encryption context. Off: image only (KP-07). */
  readonly tenantContextBinding: boolean;
  // Enclave application (these change the measured image, and the owner approves that image)
  /** The enclave talks to KMS over an authenticated channel to a pinned KMS certificate. Off: plain frames (PA-01, PA-02, PA-09). */
  readonly kmsChannelPinned: boolean;
  /** The app draws randomness only from NSM GetRandom. Off: it seeds from parent-supplied bytes (PA-15). */
  readonly appEntropyFromNsm: boolean;
  /** The app accepts only AEAD-authenticated inputs (weights, config). Off: it loads what the parent supplies (PA-18). */
  readonly appAuthenticatesInputs: boolean;
  /** The app's console and logs carry no secret. Off: it logs verbosely, secrets included (PA-19). */
  readonly appLogHygiene: boolean;
  /** Sealed state carries a version checked against a monotonic counter. Off: any old blob is accepted (RB-01). */
  readonly sealedStateVersioned: boolean;
  /** Weights, prompts and activations reach an accelerator only encrypted, and only an attested device in confidential mode. Off: the plain path, CC off (PA-17's control). */
  readonly deviceConfidentialPath: boolean;
  // EFA links between hosts of a cluster (src/cluster maps these onto src/efa/secure's SecureLinkDefences)
  /** AES-256-GCM on every fabric packet. Off: the null cipher, plaintext on the wire (NET-01, NET-02). */
  readonly linkEncryption: boolean;
  /** A sliding anti-replay window that tolerates SRD's reordering. Off: replays are delivered (NET-03). */
  readonly linkAntiReplay: boolean;
  /** Keys and AAD bound to link, job, direction and epoch. Off: spliced or reflected frames open (NET-09). */
  readonly linkAadBinding: boolean;
  /** Peers prove an attested, allowlisted, non-debug enclave in the handshake; unkeyed packets are refused. Off: anyone who speaks the protocol joins (NET-06, CT-04, CT-05). */
  readonly linkPeerAttestation: boolean;
  /** Version, suite and encryption flag bound into the transcript; the null suite refused. Off: a man in the middle downgrades (NET-07). */
  readonly linkDowngradeProtection: boolean;
  /** A new key before the AEAD usage limit. Off: the counter wraps and a (key, nonce) pair repeats (NET-08). */
  readonly linkRekey: boolean;
  /** Every sealed packet on the wire has the claimed padded size. Off: sizes reveal message lengths (NET-10). */
  readonly linkPadding: boolean;
  // Clients
  /** Clients attest the enclave (root, PCR0, nonce, key binding) before sending data. Off: they trust the relay (PA-12, PA-13). */
  readonly clientVerifiesAttestation: boolean;
}

export const ALL_DEFENCES: WorldDefences = Object.freeze({
  ...NITRO_DEFENCES,
  ...DEVICE_DEFENCES,
  ...DEFAULT_DRIVER_DEFENCES,
  attestedKeyPolicy: true,
  weightsEncryptedAtRest: true,
  nsmLockEnforced: true,
  revocationChecked: true,
  kmsPinnedRoot: true,
  kmsRecipientEncryption: true,
  kmsNonceSingleUse: true,
  kmsDocumentFreshness: true,
  policyLint: true,
  policyRotation: true,
  tenantContextBinding: true,
  kmsChannelPinned: true,
  appEntropyFromNsm: true,
  appAuthenticatesInputs: true,
  appLogHygiene: true,
  sealedStateVersioned: true,
  deviceConfidentialPath: true,
  clientVerifiesAttestation: true,
  linkEncryption: true,
  linkAntiReplay: true,
  linkAadBinding: true,
  linkPeerAttestation: true,
  linkDowngradeProtection: true,
  linkRekey: true,
  linkPadding: true,
});

export const DEFENCE_NAMES = Object.keys(ALL_DEFENCES) as ReadonlyArray<keyof WorldDefences>;

export interface WorldOptions {
  readonly seed: number;
  readonly epochMs?: number;
  readonly defences?: Partial<WorldDefences>;
  readonly faultPlan?: FaultPlan;
  readonly log?: LogSink;
  readonly region?: string;
  readonly accountId?: string;
  /** Launch the enclave in debug mode (PCR0/1/2/8 read as zero; the console is readable). */
  readonly debugMode?: boolean;
  /** An image other than the default one (e.g. a modified app); the key policy still names the default image. */
  readonly enclaveImage?: Uint8Array;
  /** What the ledger does when full: 'refuse' (default: a judged run needs every observation) or 'forget-oldest' (a served world). */
  readonly ledgerWhenFull?: 'refuse' | 'forget-oldest';
  /** Seed of the platform's Nitro root, shared by the hosts of a multi-host world (default: this world's seed). */
  readonly platformSeed?: number;
  /**
   * Accelerators on the host, all of one flavour, assigned to the enclave at launch; the model then is a small
   * transformer that runs on them. Absent: no accelerator, the enclave runs the small MLP on its CPU.
   */
  readonly accelerators?: {
    readonly flavour: AcceleratorFlavour;
    readonly count: number;
    /** Default: a 2-layer model small enough for scenario runs; `nitro-emu infer` uses the ≥1M-parameter default. */
    readonly shape?: TransformerShape;
  };
}

export const ACCOUNT_ID = '111122223333';

export function arns(accountId: string) {
  return {
    owner: `arn:aws:iam::${accountId}:user/model-owner`,
    parentRole: `arn:aws:iam::${accountId}:role/inference-parent-role`,
  };
}
