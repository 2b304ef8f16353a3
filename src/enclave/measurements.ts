/**
 * PCR0/1/2/8 of an enclave image, as nitro-cli and the Nitro hypervisor compute them (research §1.5;
 * image-format `EifBuilder::measure` / `EifReader`): section *data* only, in file order;
 * PCR = SHA384(0^48 ‖ SHA384(measured bytes)).
 *   PCR0 = kernel ‖ cmdline ‖ every ramdisk       PCR1 = kernel ‖ cmdline ‖ ramdisk[0]
 *   PCR2 = ramdisk[1] ‖ ramdisk[2] ‖ …            PCR8 = the signing certificate's DER (absent if unsigned)
 */
import { concatBytes, pcrExtend, sha384, toHex, zeroPcr } from '../crypto/index.ts';
import { EifSectionType, type EifSection } from './eif-layout.ts';

export interface EifMeasurements {
  readonly pcr0: Uint8Array;
  readonly pcr1: Uint8Array;
  readonly pcr2: Uint8Array;
  /** Only for signed images. */
  readonly pcr8: Uint8Array | undefined;
}

/** What `nitro-cli pcr --input FILE` prints: one extend of a zero PCR with the file's SHA-384. */
export function pcrOfBytes(data: Uint8Array): Uint8Array {
  return pcrExtend(zeroPcr(), sha384(data));
}

export function measureSections(sections: readonly Pick<EifSection, 'type' | 'data'>[], signingCertificateDer?: Uint8Array): EifMeasurements {
  const image: Uint8Array[] = [];
  const bootstrap: Uint8Array[] = [];
  const app: Uint8Array[] = [];
  let ramdiskIndex = 0;
  for (const section of sections) {
    if (section.type === EifSectionType.Kernel || section.type === EifSectionType.Cmdline) {
      image.push(section.data);
      bootstrap.push(section.data);
    } else if (section.type === EifSectionType.Ramdisk) {
      image.push(section.data);
      // The first ramdisk is the platform's bootstrap (init, nsm.ko); the rest are the customer's.
      (ramdiskIndex === 0 ? bootstrap : app).push(section.data);
      ramdiskIndex++;
    }
  }
  return {
    pcr0: pcrOfBytes(concatBytes(...image)),
    pcr1: pcrOfBytes(concatBytes(...bootstrap)),
    pcr2: pcrOfBytes(concatBytes(...app)),
    pcr8: signingCertificateDer === undefined ? undefined : pcrOfBytes(signingCertificateDer),
  };
}

/** nitro-cli prints `format!("{:?}", Sha384::new())`, which is this literal text. */
export const NITRO_CLI_HASH_ALGORITHM = 'Sha384 { ... }';

/** The `Measurements` object of nitro-cli's JSON (a BTreeMap: keys sorted, hex lowercase). */
export function measurementsJson(m: EifMeasurements): Record<string, string> {
  const out: Record<string, string> = {
    HashAlgorithm: NITRO_CLI_HASH_ALGORITHM,
    PCR0: toHex(m.pcr0),
    PCR1: toHex(m.pcr1),
    PCR2: toHex(m.pcr2),
  };
  if (m.pcr8 !== undefined) out['PCR8'] = toHex(m.pcr8);
  return out;
}
