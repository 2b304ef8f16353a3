/**
 * The raw fields of a certificate that tools print (nitro-cli's describe-eif shows the issuer, the
 * signature algorithm, the validity and the signature bytes as OpenSSL formats them). Parsing only: no
 * checks beyond well-formed DER. Error: X509_MALFORMED.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';

export interface CertificateFields {
  /** Issuer attributes in certificate order: OID and string value. */
  readonly issuer: readonly { readonly oid: string; readonly value: string }[];
  readonly signatureAlgorithmOid: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** The signatureValue BIT STRING's bytes as stored (DER ECDSA-Sig-Value for ECDSA, not raw r‖s). */
  readonly signatureValue: Uint8Array;
}

export function certificateFields(der: Uint8Array): CertificateFields {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new EmuError('X509_MALFORMED', `not an X.509 certificate: ${(error as Error).message}`);
  }
  const issuer: { oid: string; value: string }[] = [];
  for (const rdn of cert.tbsCertificate.issuer) {
    for (const attribute of rdn) issuer.push({ oid: attribute.type, value: attribute.value.toString() });
  }
  return {
    issuer,
    signatureAlgorithmOid: cert.signatureAlgorithm.algorithm,
    notBeforeMs: cert.tbsCertificate.validity.notBefore.getTime().getTime(),
    notAfterMs: cert.tbsCertificate.validity.notAfter.getTime().getTime(),
    signatureValue: new Uint8Array(cert.signatureValue),
  };
}
