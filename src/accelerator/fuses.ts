import { type IssuedCertificate, type P384KeyPair, type RandomSource, issueDeviceIdentity, p384KeyPair, toHex } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import { type Vendor, vendorFactory } from './vendor.ts';

/**
 * What is fused into one chip at manufacture (research/gpu-cc.md §5.1 item 1): a 32-byte device secret (the DICE
 * unique device secret), the P-384 identity key certified by the vendor's provisioner CA, and the anti-rollback
 * fuse. Fuses only ever burn further: `minSvn` moves up, never down.
 */
export const DEVICE_SECRET_BYTES = 32;
const DEVICE_ID_BYTES = 8;

export class DeviceFuses {
  readonly deviceId: string;
  /** DER of the device identity certificate (serial = device id). */
  readonly identityDer: Uint8Array;
  readonly #deviceSecret: Uint8Array;
  readonly #identityKey: P384KeyPair;
  #minSvn = 0;

  constructor(vendor: Vendor, random: RandomSource) {
    this.#deviceSecret = random.bytes(DEVICE_SECRET_BYTES);
    this.#identityKey = p384KeyPair(random);
    const serial = random.bytes(DEVICE_ID_BYTES);
    // A positive DER INTEGER with no leading zero byte, so the hex serial reads back exactly as the device id.
    serial[0] = (serial[0]! & 0x7f) | 0x40;
    this.deviceId = toHex(serial);
    this.identityDer = issueDeviceIdentity(vendorFactory(vendor).pki, random, {
      deviceIdHex: this.deviceId,
      publicKey: this.#identityKey.publicKey,
    }).der.slice();
  }

  get minSvn(): number {
    return this.#minSvn;
  }

  /** Burns the fuse up to `svn`; a lower value leaves it where it is. */
  burnMinSvn(svn: number): void {
    assert(Number.isSafeInteger(svn) && svn >= 0, `svn must be a non-negative integer: ${svn}`);
    if (svn > this.#minSvn) this.#minSvn = svn;
  }

  /** The identity certificate with its key: only the boot ROM signs with it (the alias certificate). */
  identitySigner(): IssuedCertificate {
    return { der: this.identityDer, keyPair: this.#identityKey };
  }

  /** Only the boot ROM reads it (to derive the alias key). */
  deviceSecret(): Uint8Array {
    return this.#deviceSecret.slice();
  }
}
