import { type AcceleratorDevice, signDeviceEndorsement } from '../accelerator/index.ts';
import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
  parseCertificate,
  RevocationList,
  equalBytes,
  sha256Hex,
  signAttestationDocument,
  toHex,
  type IssuedCertificate,
  type NitroIntermediates,
  type RandomSource,
} from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import { Prng, type Simulator } from '../sim/index.ts';
import { VENDOR_ROOTS_MAX, collectDeviceEvidence } from './device-endorser.ts';
import { FirmwareSigner, firmwareSignedBy, parseFirmware, type FirmwareManifest } from './firmware.ts';

/** What the NSM asks the platform to sign (structurally the enclave folder's AttestationIssuer request). */
export interface AttestationFields {
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  readonly publicKey: Uint8Array | null;
  readonly userData: Uint8Array | null;
  readonly nonce: Uint8Array | null;
}

export interface AttestationIssuer {
  readonly moduleId: string;
  issue(request: AttestationFields): Uint8Array;
}

/** Reissue the leaf this long before it expires, so a document never carries a nearly dead certificate. */
const LEAF_RENEW_MARGIN_MS = 10 * 60 * 1000;
/** Intermediates are re-issued this long before the first of them expires (the instance CA lives one day). */
const CHAIN_RENEW_MARGIN_MS = 4 * 60 * 60 * 1000;

/** A document signer in the wrong hands: what a debug firmware's console or a stolen key can sign. */
export interface DocumentForger {
  /** Signs a document with any PCRs, under the named instance's genuine chain. */
  forge(instanceId: string, fields: AttestationFields): Uint8Array;
}

/**
 * The emulated Nitro card's attestation half: it holds the per-seed root and the signing keys below
 * it, and signs documents for the NSMs of this host. Its private keys never leave this object, except
 * through the physical attack's stand-in below. It also runs the card's firmware, which boots only
 * when signed by the platform's firmware key (measured boot) unless the host was built without that check.
 */
export class NitroController {
  readonly region: string;
  readonly rootCertificateDer: Uint8Array;
  /** The platform firmware key's public half, fused into the card: what measured boot checks against. */
  readonly firmwarePublicKey: Uint8Array;
  readonly #sim: Simulator;
  readonly #root: IssuedCertificate;
  readonly #intermediates = new Map<string, { chain: NitroIntermediates; notAfterMs: number }>();
  /**
   * The platform's published revocation list (see src/crypto/revocation.ts for why it is a set handed to verifiers
   * rather than a signed CRL). KMS is given this object as its revocation source.
   */
  readonly revocations = new RevocationList();
  readonly #signedFirmwareOnly: boolean;
  readonly #vendorRoots: Uint8Array[] = [];
  #cardId: string | undefined;
  #endorser: { leaf: IssuedCertificate; issuer: Uint8Array; notAfterMs: number } | undefined;
  #firmware: { image: Uint8Array; manifest: FirmwareManifest; measurement: string };

  constructor(
    sim: Simulator,
    region: string,
    options: {
      readonly signedFirmwareOnly?: boolean;
      readonly firmwareSigner?: FirmwareSigner;
      /** Hosts of one platform share a root: a multi-host world gives each host this seed instead of its own. */
      readonly rootSeed?: number;
    } = {},
  ) {
    this.#sim = sim;
    this.region = region;
    // A stream used for nothing else: the root depends on the seed alone, never on the epoch or history.
    this.#root = createEmulatedNitroRoot(options.rootSeed === undefined ? sim.prng('nitro.root') : new Prng(options.rootSeed, 'nitro.root'));
    this.rootCertificateDer = this.#root.der;
    this.#signedFirmwareOnly = options.signedFirmwareOnly ?? true;
    const signer = options.firmwareSigner ?? new FirmwareSigner(sim.prng('platform.firmware-key'));
    this.firmwarePublicKey = signer.publicKey;
    const image = signer.buildProduction('2026.01.0');
    const parsed = parseFirmware(image);
    this.#firmware = { image, manifest: parsed.manifest, measurement: parsed.measurement };
  }

  /** The running firmware image (operators may fetch it: it is the platform's, not a customer's). */
  get firmwareImage(): Uint8Array {
    return this.#firmware.image.slice();
  }

  get firmware(): { readonly manifest: FirmwareManifest; readonly measurement: string } {
    return { manifest: this.#firmware.manifest, measurement: this.#firmware.measurement };
  }

  /**
   * Boots a new firmware image. Measured boot refuses anything not signed by the platform's firmware
   * key; a failed deployment leaves the running firmware as it was.
   */
  deployFirmware(image: Uint8Array): { readonly manifest: FirmwareManifest; readonly measurement: string } {
    const parsed = parseFirmware(image);
    if (this.#signedFirmwareOnly && !firmwareSignedBy(parsed, this.firmwarePublicKey)) {
      throw new EmuError('HV_FIRMWARE_UNSIGNED', `firmware ${parsed.manifest.version} is not signed by the platform's firmware key: measured boot refuses it`);
    }
    this.#firmware = { image: image.slice(), manifest: parsed.manifest, measurement: parsed.measurement };
    this.#sim.record('nitro.firmware-booted', { version: parsed.manifest.version, measurement: parsed.measurement });
    return this.firmware;
  }

  /**
   * The debug console of a firmware build whose manifest asks for it: it signs documents for any PCRs.
   * Absent (undefined) while production firmware runs, which is always the case on a host that boots
   * only signed firmware.
   */
  get debugAttestationConsole(): DocumentForger | undefined {
    if (this.#firmware.manifest.attestationService !== 'debug') return undefined;
    return this.#forger(this.#sim.prng('nitro.debug-console'));
  }

  /**
   * HARNESS ONLY: the stand-in for a physical attack on the card (a bus interposer or fault injection
   * that extracts the attestation signing keys, as TEE.fail and WireTap did on other TEEs). No
   * principal's handle leads here; the PHY teaching scenario hands its result to its attacker in its
   * own setup. The emulator cannot model how the key is extracted, only what holding it means.
   */
  extractSigningKeyForPhysicalAttack(): DocumentForger {
    return this.#forger(this.#sim.prng('nitro.stolen-key'));
  }

  #forger(random: RandomSource): DocumentForger {
    return {
      forge: (instanceId, fields) => {
        const chain = this.#chainFor(instanceId);
        const moduleId = `${instanceId}-enc${'0'.repeat(15)}1`;
        const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region: this.region, notBeforeMs: this.#sim.nowMs });
        return signAttestationDocument(
          {
            moduleId,
            digest: 'SHA384',
            timestamp: this.#sim.nowMs,
            pcrs: fields.pcrs,
            certificate: leaf.der,
            cabundle: chain.cabundle,
            publicKey: fields.publicKey,
            userData: fields.userData,
            nonce: fields.nonce,
          },
          leaf.keyPair.privateKey,
        );
      },
    };
  }

  /** A device vendor's root the controller verifies device evidence against (Host.installAccelerator adds it). */
  trustVendorRoot(der: Uint8Array): void {
    if (this.#vendorRoots.some((known) => equalBytes(known, der))) return;
    if (this.#vendorRoots.length >= VENDOR_ROOTS_MAX) throw new EmuError('HV_TOO_MANY_VENDOR_ROOTS', `at most ${VENDOR_ROOTS_MAX} vendor roots`);
    this.#vendorRoots.push(der.slice());
  }

  /**
   * ASSUMED design (platform-mediated trust model): attests the device over the controller's own path to its
   * mailbox (SPDM chain to an installed vendor root, signed measurements over a fresh nonce, see device-endorser.ts),
   * then signs an endorsement of what it verified, bound to the enclave's nonce, with a leaf chained to the Nitro
   * root. A device whose evidence fails gets HV_DEVICE_EVIDENCE_REJECTED and no endorsement.
   */
  endorseDevice(device: AcceleratorDevice, nonce: Uint8Array): Uint8Array {
    const evidence = collectDeviceEvidence(device, this.#sim.prng('nitro.device-spdm'), this.#vendorRoots, this.#sim.nowMs);
    const signer = this.#endorserCertificate();
    const endorsement = signDeviceEndorsement({ ...evidence, nonce, timestampMs: this.#sim.nowMs }, signer);
    this.#sim.record('nitro.device-endorsed', { deviceId: evidence.deviceId, mode: evidence.mode, svn: evidence.svn });
    return endorsement;
  }

  /**
   * The card's own endorsement leaf, under a chain issued like an instance's (the card is the pseudo-instance),
   * CN `nitro-device-endorser-…` so no enclave attestation leaf passes for one. Renewed like NSM leaves.
   */
  #endorserCertificate(): { readonly leaf: IssuedCertificate; readonly cabundle: readonly Uint8Array[] } {
    this.#cardId ??= `i-${toHex(this.#sim.prng('nitro.card-id').bytes(8))}`;
    const cardId = this.#cardId;
    const chain = this.#chainFor(cardId);
    const current = this.#endorser;
    if (current === undefined || current.issuer !== chain.instance.der || this.#sim.nowMs > current.notAfterMs - LEAF_RENEW_MARGIN_MS) {
      const moduleId = `nitro-device-endorser-${cardId.slice(2)}`;
      const leaf = issueEnclaveLeaf({ random: this.#sim.prng('nitro.endorser'), issuer: chain.instance, moduleId, region: this.region, notBeforeMs: this.#sim.nowMs });
      this.#endorser = { leaf, issuer: chain.instance.der, notAfterMs: parseCertificate(leaf.der).notAfterMs };
    }
    return { leaf: this.#endorser!.leaf, cabundle: chain.cabundle };
  }

  /** The chain below the root for one parent instance (root first, as in a document's cabundle). */
  cabundleFor(instanceId: string): readonly Uint8Array[] {
    return this.#chainFor(instanceId).cabundle;
  }

  issuerFor(instanceId: string, moduleId: string): AttestationIssuer {
    const chainFor = () => this.#chainFor(instanceId);
    const random = this.#sim.prng(`nitro.leaf.${moduleId}`);
    let leaf: (IssuedCertificate & { readonly issuer: Uint8Array }) | undefined;
    let leafNotAfterMs = 0;
    const sim = this.#sim;
    const region = this.region;
    const anyRevoked = (ders: readonly Uint8Array[]) => this.#anyRevoked(ders);
    return {
      moduleId,
      issue(request) {
        const chain = chainFor();
        // A new leaf when the old one nears expiry, its issuer was re-issued, or it was revoked.
        if (
          leaf === undefined ||
          leaf.issuer !== chain.instance.der ||
          sim.nowMs > leafNotAfterMs - LEAF_RENEW_MARGIN_MS ||
          anyRevoked([leaf.der])
        ) {
          const issued = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region, notBeforeMs: sim.nowMs });
          leaf = { ...issued, issuer: chain.instance.der };
          leafNotAfterMs = sim.nowMs + 3 * 60 * 60 * 1000;
        }
        const document = signAttestationDocument(
          {
            moduleId,
            digest: 'SHA384',
            timestamp: sim.nowMs,
            pcrs: request.pcrs,
            certificate: leaf.der,
            cabundle: chain.cabundle,
            publicKey: request.publicKey,
            userData: request.userData,
            nonce: request.nonce,
          },
          leaf.keyPair.privateKey,
        );
        sim.record('nsm.attestation', { moduleId, bytes: document.length });
        return document;
      },
    };
  }

  /**
   * Revokes one certificate of this platform's PKI (a leaf, or an instance/zonal/regional CA after a "platform key
   * compromise"), given its DER or SHA-256 fingerprint. The next document for an affected instance comes with a
   * freshly issued chain and leaf, so the platform keeps working; documents already issued stay revoked. The root
   * cannot be revoked (nothing could replace it: verifiers pin it).
   */
  revokeCertificate(certificate: Uint8Array | string, reason: string): void {
    const fingerprint = typeof certificate === 'string' ? certificate : sha256Hex(certificate);
    if (fingerprint === sha256Hex(this.rootCertificateDer)) {
      throw new EmuError('REVOCATION_ROOT', 'the pinned root cannot be revoked; it can only be replaced at every verifier');
    }
    this.revocations.revokeFingerprint(fingerprint, reason, this.#sim.nowMs);
    this.#sim.record('nitro.revoked', { fingerprint, reason: reason.slice(0, 200) });
  }

  #anyRevoked(ders: readonly Uint8Array[]): boolean {
    // Nothing revoked is the common case: no parsing then.
    return this.revocations.size > 0 && ders.some((der) => this.revocations.isRevoked(parseCertificate(der)));
  }

  /** The instance CA currently signing leaves for an instance (what a "platform key compromise" would expose). */
  instanceCaFor(instanceId: string): Uint8Array {
    return this.#chainFor(instanceId).instance.der;
  }

  /** The chain is issued at the epoch and re-issued when its shortest-lived certificate nears expiry or is revoked. */
  #chainFor(instanceId: string): NitroIntermediates {
    const current = this.#intermediates.get(instanceId);
    if (
      current !== undefined &&
      this.#sim.nowMs <= current.notAfterMs - CHAIN_RENEW_MARGIN_MS &&
      !this.#anyRevoked([...current.chain.cabundle, current.chain.instance.der])
    ) {
      return current.chain;
    }
    const chain = createNitroIntermediates({
      random: this.#sim.prng(`nitro.chain.${instanceId}`),
      root: this.#root,
      issuedAtMs: current === undefined ? this.#sim.epochMs : this.#sim.nowMs,
      region: this.region,
      instanceId,
    });
    const notAfterMs = Math.min(...[chain.regional, chain.zonal, chain.instance].map((c) => parseCertificate(c.der).notAfterMs));
    this.#intermediates.set(instanceId, { chain, notAfterMs });
    return chain;
  }
}
