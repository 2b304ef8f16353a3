/**
 * `nitro-cli describe-eif` output, shaped like nitro-cli's `EifDescribeInfo` (common/json_output.rs) and
 * image-format's `SignCertificateInfo` (utils/eif_reader.rs). Field order follows the Rust structs, since
 * serde_json prints them in declaration order; maps that are BTreeMaps in Rust are sorted here.
 */
import { EmuError, isEmuError } from '../errors.ts';
import { certificateFields, toHex, type CertificateFields } from '../crypto/index.ts';
import type { EifFile } from './eif.ts';
import { measurementsJson } from './measurements.ts';

export interface SigningCertificateInfo {
  /** OpenSSL long attribute names → values, sorted by name (a BTreeMap). */
  readonly IssuerName: Readonly<Record<string, string>>;
  readonly Algorithm: string;
  /** OpenSSL's ASN1_TIME_print form: `Nov 25 19:18:24 2026 GMT`. */
  readonly NotBefore: string;
  readonly NotAfter: string;
  /** The certificate's signature bytes as `XX:XX:…`, upper-case. */
  readonly Signature: string;
}

// OpenSSL long names (what `Asn1Object`'s Display prints) for the attributes and algorithms we expect.
const LONG_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'commonName',
  '2.5.4.4': 'surname',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'countryName',
  '2.5.4.7': 'localityName',
  '2.5.4.8': 'stateOrProvinceName',
  '2.5.4.9': 'streetAddress',
  '2.5.4.10': 'organizationName',
  '2.5.4.11': 'organizationalUnitName',
  '2.5.4.12': 'title',
  '2.5.4.42': 'givenName',
  '0.9.2342.19200300.100.1.25': 'domainComponent',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ASN1_TIME_print: `%s %2d %02d:%02d:%02d %d GMT`. */
export function opensslTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()} GMT`;
}

export function signingCertificateInfo(der: Uint8Array): SigningCertificateInfo {
  let fields: CertificateFields;
  try {
    fields = certificateFields(der);
  } catch (error) {
    if (isEmuError(error)) throw new EmuError('EIF_BAD_SIGNING_CERTIFICATE', `the signing certificate: ${error.message}`);
    throw error;
  }
  const issuer: Record<string, string> = {};
  for (const { oid, value } of fields.issuer) {
    // rust-openssl prints the value with Debug quoting and then strips the quotes.
    issuer[LONG_NAMES[oid] ?? oid] = value.replaceAll('"', '');
  }
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(issuer).sort()) sorted[key] = issuer[key]!;
  const algorithm = fields.signatureAlgorithmOid;
  return {
    IssuerName: sorted,
    Algorithm: LONG_NAMES[algorithm] ?? algorithm,
    NotBefore: opensslTime(new Date(fields.notBeforeMs)),
    NotAfter: opensslTime(new Date(fields.notAfterMs)),
    Signature: (toHex(fields.signatureValue).toUpperCase().match(/../g) ?? []).join(':'),
  };
}

/** The describe-eif JSON object. `SignatureCheck` is false for a signature that does not verify. */
export function describeEifJson(eif: EifFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    EifVersion: eif.version,
    Measurements: measurementsJson(eif.measurements),
    IsSigned: eif.signature !== undefined,
  };
  if (eif.signingCertificateDer !== undefined) out['SigningCertificate'] = signingCertificateInfo(eif.signingCertificateDer);
  out['CheckCRC'] = eif.crcOk;
  if (eif.signatureValid !== undefined) out['SignatureCheck'] = eif.signatureValid;
  if (eif.metadata !== undefined) {
    const m = eif.metadata;
    out['ImageName'] = m.ImageName;
    out['ImageVersion'] = m.ImageVersion;
    out['Metadata'] = {
      BuildTime: m.BuildMetadata.BuildTime,
      BuildTool: m.BuildMetadata.BuildTool,
      BuildToolVersion: m.BuildMetadata.BuildToolVersion,
      OperatingSystem: m.BuildMetadata.OperatingSystem,
      KernelVersion: m.BuildMetadata.KernelVersion,
      DockerInfo: m.DockerInfo,
      // serde(flatten) of CustomMetadata: its keys join Metadata.
      ...(m.CustomMetadata ?? {}),
    };
  }
  return out;
}
