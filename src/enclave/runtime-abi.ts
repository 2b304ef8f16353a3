import type { RandomSource, RsaKeyPair } from '../crypto/index.ts';

/**
 * What application code inside an enclave can touch: its NSM, its vsock, its own memory, a console
 * and a fixed runtime library (the emulated counterpart of the libraries an enclave image ships; its
 * ABI version is part of the measured bootstrap ramdisk). Nothing else exists in the realm.
 */
export interface EnclaveAbi {
  readonly abiVersion: 1;
  readonly enclaveId: string;
  readonly cid: number;
  readonly nsm: {
    request(bytes: Uint8Array): Uint8Array;
    attestation(fields: { publicKey?: Uint8Array; userData?: Uint8Array; nonce?: Uint8Array }): Uint8Array;
    getRandom(): Uint8Array;
    describePcr(index: number): { lock: boolean; data: Uint8Array };
    extendPcr(index: number, data: Uint8Array): Uint8Array;
    lockPcr(index: number): void;
  };
  readonly vsock: {
    connect(cid: number, port: number): Promise<AbiConnection>;
    listen(port: number, onConnection: (connection: AbiConnection) => void): void;
  };
  readonly memory: {
    readonly bytesTotal: number;
    store(bytes: Uint8Array): { readonly address: number; readonly length: number };
    load(region: { readonly address: number; readonly length: number }): Uint8Array;
  };
  readonly console: { log(line: string): void };
  /** The application's own measured files (its ramdisk), read-only: config the image carries is measured with it. */
  readonly image: { readFile(path: string): Uint8Array | null };
  /**
   * ASSUMED platform service (not in real Nitro, see runtime-counter.ts): a monotonic counter for this image
   * (keyed by PCR0) that the parent cannot roll back.
   */
  readonly platform: { counterRead(): number; counterAdvance(to: number): number };
  readonly lib: EnclaveLibrary;
  /** The accelerators the hypervisor assigned to this enclave, driven by the enclave's own driver (runtime-accel.ts). */
  readonly accel: EnclaveAccelerators;
  /** Signals the platform that the app reached a milestone (readiness, a served request); shows in the trace. */
  event(kind: string, fields?: Record<string, string | number | boolean>): void;
  /** Resolves after `ns` of the platform's (virtual) time: the app's only timer, for back-off between retries. */
  sleep(ns: number): Promise<void>;
  /**
   * `work`'s value, or a rejection with code ENCLAVE_TIMEOUT once `ns` passed without it: how an app
   * bounds every wait on a peer, since a relay may drop what it was sent.
   */
  withTimeout<T>(work: Promise<T>, ns: number, what: string): Promise<T>;
}

/** Bound on one `sleep`/`withTimeout` of an app: one virtual minute. */
export const ENCLAVE_WAIT_NS_MAX = 60_000_000_000;

export interface AbiConnection {
  send(message: Uint8Array): void;
  receive(): Promise<Uint8Array | null>;
  close(): void;
}

export interface SecureChannelConnectOptions {
  readonly random: RandomSource;
  /** PEM of the root KMS's chain must end in; null turns pinning off (any certificate is accepted). */
  readonly pinnedRootPem: string | null;
  /** Exact CN or pattern for the server's leaf; default: any regional KMS name `kms.<region>.amazonaws.com`. */
  readonly serverName?: string | RegExp;
}

export interface EnclaveLibrary {
  randomFromNsm(): RandomSource;
  /** A deterministic stream from seed bytes (SHA-384 in counter mode): the same seed gives the same keys. */
  randomFromSeed(seed: Uint8Array): RandomSource;
  /**
   * Client side of the TLS-like secure channel (src/crypto/secure-channel.ts) over a vsock connection. The
   * enclave has no clock: certificate validity is checked at the time of a fresh document from its own NSM.
   */
  secureChannelConnect(connection: AbiConnection, options: SecureChannelConnectOptions): Promise<AbiConnection>;
  sealedStateKey(dataKey: Uint8Array): Uint8Array;
  sealState(key: Uint8Array, version: number, data: Uint8Array, random: RandomSource): Uint8Array;
  openSealedState(key: Uint8Array, blob: Uint8Array): { version: number; data: Uint8Array };
  generateRsaKeyPair(random: RandomSource, bits: number): RsaKeyPair;
  openEnvelopedData(cms: Uint8Array, key: RsaKeyPair): Uint8Array;
  decryptFramed(sealed: Uint8Array, key: Uint8Array, aad?: Uint8Array): Uint8Array;
  aes256GcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  aes256GcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  hkdfSha384(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  p384KeyPair(random: RandomSource): { privateKey: Uint8Array; publicKey: Uint8Array };
  p384SharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  utf8(text: string): Uint8Array;
  fromUtf8(bytes: Uint8Array): string;
  toBase64(bytes: Uint8Array): string;
  fromBase64(text: string): Uint8Array;
  concatBytes(...parts: Uint8Array[]): Uint8Array;
  wipe(bytes: Uint8Array): void;
}

export type AcceleratorPathChoice = 'confidential' | 'plain';

export interface AcceleratorSummary {
  readonly deviceId: string;
  readonly flavour: string;
  readonly trustModel: string;
}

export interface AcceleratorVerdictSummary extends AcceleratorSummary {
  readonly mode: string;
  readonly svn: number;
  readonly firmwareDigestHex: string;
  /** 'assumed' for the platform-mediated (Trainium) design AWS has not published. */
  readonly label: string;
}

/**
 * The guest driver of the assigned accelerators, as an app sees it. The driver runs in the enclave's trust domain
 * (like a GPU driver in a confidential VM's kernel): it attests each device under the policy the app passes from
 * its measured image, holds the session keys, and moves weights and activations through bounce buffers.
 */
export interface EnclaveAccelerators {
  devices(): readonly AcceleratorSummary[];
  /** Attests every assigned device (typed DEVICE_* errors: no key, no weight reaches a device that failed). */
  attach(options: { readonly path: AcceleratorPathChoice; readonly policyJson: string }): Promise<readonly AcceleratorVerdictSummary[]>;
  /** Streams a NETM model to the attached devices, split in pipeline order. */
  loadModel(weights: Uint8Array): Promise<{ readonly parameterCount: number; readonly weightBytes: number; readonly devices: number }>;
  /** Greedy decoding on the devices; returns the new token ids. */
  generate(promptTokens: readonly number[], newTokens: number): Promise<readonly number[]>;
  /** Byte tokens of a prompt for the loaded model (UTF-8, capped so the answer fits the context). */
  tokenize(prompt: Uint8Array, newTokens: number): readonly number[];
  detach(): void;
}
