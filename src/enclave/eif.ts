/**
 * Enclave image files: assembling one from its parts in nitro-cli's section order (Kernel, Cmdline,
 * Metadata, Ramdisk…, [Signature]) and reading one back with the meaning of each section checked.
 *
 * `readEif` reports CRC and signature results (describe-eif prints them); `parseEif` is for loading an
 * image to run it and refuses anything short of intact and, when signed, correctly signed.
 */
import { EmuError } from '../errors.ts';
import {
  EIF_FLAG_ARCH_AARCH64,
  EifSectionType,
  decodeEifLayout,
  encodeEifLayout,
  type EifLayout,
  type EifSection,
} from './eif-layout.ts';
import { decodeMetadata, encodeMetadata, type EifIdentityInfo } from './eif-metadata.ts';
import {
  checkSignatureSection,
  decodeSignatureSection,
  signPcr0,
  signingCertificateDer,
  type EifSignatureEntry,
  type EifSigningInput,
} from './eif-signature.ts';
import { measureSections, type EifMeasurements } from './measurements.ts';

export interface EifParts {
  readonly kernel: Uint8Array;
  readonly cmdline: Uint8Array;
  /** ramdisk[0] is the platform bootstrap, the rest the application. */
  readonly ramdisks: readonly Uint8Array[];
  readonly metadata: EifIdentityInfo;
  readonly signing?: EifSigningInput;
  readonly arch?: 'x86_64' | 'aarch64';
}

export interface BuiltEif {
  readonly bytes: Uint8Array;
  readonly measurements: EifMeasurements;
}

export function buildEif(parts: EifParts): BuiltEif {
  if (parts.ramdisks.length === 0) throw new EmuError('EIF_MISSING_SECTION', 'an image needs at least one ramdisk');
  const section = (type: EifSectionType, data: Uint8Array): EifSection => ({ type, flags: 0, data });
  const sections: EifSection[] = [
    section(EifSectionType.Kernel, parts.kernel),
    section(EifSectionType.Cmdline, parts.cmdline),
    section(EifSectionType.Metadata, encodeMetadata(parts.metadata)),
    ...parts.ramdisks.map((ramdisk) => section(EifSectionType.Ramdisk, ramdisk)),
  ];
  let measurements = measureSections(sections);
  if (parts.signing !== undefined) {
    // PCR0 does not cover the signature section, so signing after measuring is sound (and is what nitro-cli does).
    const signed = signPcr0(measurements.pcr0, parts.signing);
    sections.push(section(EifSectionType.Signature, signed.section));
    measurements = measureSections(sections, signed.certificateDer);
  }
  const bytes = encodeEifLayout({ flags: parts.arch === 'aarch64' ? EIF_FLAG_ARCH_AARCH64 : 0, sections });
  return { bytes, measurements };
}

export interface EifFile {
  readonly version: number;
  readonly arch: 'x86_64' | 'aarch64';
  readonly sections: readonly EifSection[];
  readonly kernel: Uint8Array;
  readonly cmdline: Uint8Array;
  readonly ramdisks: readonly Uint8Array[];
  /** Absent only in version 2/3 images. */
  readonly metadata: EifIdentityInfo | undefined;
  readonly signature: EifSignatureEntry | undefined;
  /** DER of the signing certificate (the PCR8 input) when signed. */
  readonly signingCertificateDer: Uint8Array | undefined;
  readonly measurements: EifMeasurements;
  readonly crcOk: boolean;
  /** undefined when unsigned. */
  readonly signatureValid: boolean | undefined;
  readonly signatureProblem: string | undefined;
}

function only(sections: readonly EifSection[], type: EifSectionType, name: string, required: boolean): EifSection | undefined {
  const found = sections.filter((s) => s.type === type);
  if (found.length > 1) throw new EmuError('EIF_DUPLICATE_SECTION', `more than one ${name} section`);
  if (required && found.length === 0) throw new EmuError('EIF_MISSING_SECTION', `no ${name} section`);
  return found[0];
}

/** Structure and meaning checked; CRC and signature results reported in the result. */
export function readEif(bytes: Uint8Array): EifFile {
  return interpret(decodeEifLayout(bytes));
}

/** For running an image: a CRC mismatch or an invalid signature is an error, never a warning. */
export function parseEif(bytes: Uint8Array): EifFile {
  const layout = decodeEifLayout(bytes);
  // Checked first so that a damaged section is reported as damage rather than as whatever it now looks like.
  if (layout.crcStored !== layout.crcComputed) throw new EmuError('EIF_CRC_MISMATCH', 'the image CRC does not match its contents');
  const eif = interpret(layout);
  if (eif.signatureValid === false) throw new EmuError('EIF_BAD_SIGNATURE', eif.signatureProblem ?? 'the image signature is invalid');
  return eif;
}

function interpret(layout: EifLayout): EifFile {
  const { sections, version } = layout;
  const kernel = only(sections, EifSectionType.Kernel, 'Kernel', true)!;
  const cmdline = only(sections, EifSectionType.Cmdline, 'Cmdline', true)!;
  const metadataSection = only(sections, EifSectionType.Metadata, 'Metadata', version >= 4);
  const signatureSection = only(sections, EifSectionType.Signature, 'Signature', false);
  if (metadataSection !== undefined && version < 4) throw new EmuError('EIF_UNEXPECTED_SECTION', `a version ${version} image has no Metadata section`);
  if (signatureSection !== undefined && version < 3) throw new EmuError('EIF_UNEXPECTED_SECTION', 'a version 2 image has no Signature section');
  const kernelIndex = sections.indexOf(kernel);
  const ramdisks: Uint8Array[] = [];
  sections.forEach((s, i) => {
    if (s.type !== EifSectionType.Ramdisk) return;
    if (i < kernelIndex) throw new EmuError('EIF_SECTION_ORDER', 'every ramdisk must come after the kernel');
    ramdisks.push(s.data);
  });
  if (ramdisks.length === 0) throw new EmuError('EIF_MISSING_SECTION', 'no Ramdisk section');

  const signature = signatureSection === undefined ? undefined : decodeSignatureSection(signatureSection.data);
  const certificateDer = signature === undefined ? undefined : signingCertificateDer(signature.certificatePem);
  const measurements = measureSections(sections, certificateDer);
  const check = signature === undefined ? undefined : checkSignatureSection(signature, measurements.pcr0);
  return {
    version,
    arch: layout.flags & EIF_FLAG_ARCH_AARCH64 ? 'aarch64' : 'x86_64',
    sections,
    kernel: kernel.data,
    cmdline: cmdline.data,
    ramdisks,
    metadata: metadataSection === undefined ? undefined : decodeMetadata(metadataSection.data),
    signature,
    signingCertificateDer: certificateDer,
    measurements,
    crcOk: layout.crcStored === layout.crcComputed,
    signatureValid: check?.valid,
    signatureProblem: check?.reason,
  };
}
