import {
  fromHex,
  parseCertificate,
  parseSpdmMeasurements,
  pemToDer,
  toHex,
  verifyCertificateChain,
  verifySpdmMeasurements,
  type ParsedCertificate,
} from '../../crypto/index.ts';
import { EmuError, isEmuError } from '../../errors.ts';
import { requireValue } from '../args.ts';
import { printJson, type Command, type CommandIo } from '../command.ts';

const REFERENCE_ENTRIES_MAX = 255;

export const verifyDeviceAttestationCommand: Command = {
  name: 'verify-device-attestation',
  summary: 'verify an SPDM 1.1 GET_MEASUREMENTS report (GPU) against a pinned device root',
  usage: `nitro-emu verify-device-attestation --chain PEM --root PEM --report HEXFILE [--nonce HEX] [--reference JSON] [--json]

Checks the certificate chain (any order in the file; the leaf is the one nobody else names as issuer)
up to the pinned --root, the leaf's ECDSA P-384/SHA-384 signature over request ‖ response-without-
signature, the request nonce when --nonce is given, and each measurement against --reference
({"index": "hexDigest"}). Validity is checked at the latest notBefore of the chain and root (the first
moment the whole chain is in force): the command takes no clock. Exit 0 valid, 1 invalid, 2 bad usage.`,
  args: { values: ['chain', 'root', 'report', 'nonce', 'reference'], booleans: ['json'], positionalsMax: 0 },
  async run(args, io) {
    const text = (p: string): string => new TextDecoder().decode(io.readFile(p));
    const chain = pemToDer(text(requireValue(args, 'chain'))).map((d) => parseCertificate(d));
    const roots = pemToDer(text(requireValue(args, 'root'))).map((d) => parseCertificate(d));
    if (roots.length !== 1) throw new EmuError('CLI_BAD_ARGS', `--root must hold exactly one certificate, found ${roots.length}`);
    const root = roots[0]!;
    const report = hexArg(text(requireValue(args, 'report')), '--report');
    const nonceText = args.values.get('nonce');
    const expectedNonce = nonceText === undefined ? undefined : hexArg(nonceText, '--nonce');
    const referenceText = args.values.get('reference');
    const reference = referenceText === undefined ? undefined : parseReference(text(referenceText));

    const leafFirst = orderLeafFirst(chain.filter((c) => c.fingerprintSha256 !== root.fingerprintSha256));
    const leaf = leafFirst[0];
    const atMs = Math.max(root.notBeforeMs, ...chain.map((c) => c.notBeforeMs));
    let result: { valid: boolean; code: string; message: string };
    let measurements: { index: number; digest: string; reference?: string; verdict: string }[] = [];
    try {
      if (leaf === undefined || leaf.p384PublicKey === undefined) throw new EmuError('SPDM_NO_LEAF', 'the chain has no P-384 leaf');
      verifyCertificateChain(leafFirst, root, atMs);
      const v = verifySpdmMeasurements(report, leaf.p384PublicKey, {
        ...(expectedNonce ? { expectedNonce } : {}),
        ...(reference ? { reference } : {}),
      });
      measurements = v.measurements.map((m) => ({ ...m, verdict: m.verdict ?? 'reported' }));
      const bad = measurements.filter((m) => m.verdict === 'mismatch' || m.verdict === 'missing');
      result = bad.length === 0
        ? { valid: true, code: 'OK', message: 'chain, signature, nonce and measurements hold' }
        : { valid: false, code: 'SPDM_MEASUREMENT_MISMATCH', message: `measurements ${bad.map((m) => m.index).join(', ')} do not match the reference` };
    } catch (error) {
      if (!isEmuError(error)) throw error;
      result = { valid: false, code: error.code, message: error.message };
    }
    let nonce: string | null = null;
    try {
      nonce = toHex(parseSpdmMeasurements(report).request.nonce);
    } catch {
      nonce = null;
    }
    const out = {
      ...result,
      nonce,
      measurements,
      leaf: leaf ? { subject: leaf.subject, serial: leaf.serialHex } : null,
      chainLength: leafFirst.length,
    };
    if (args.booleans.has('json')) printJson(io, out);
    else printText(io, out);
    return out.valid ? 0 : 1;
  },
};

function printText(io: CommandIo, out: { valid: boolean; code: string; message: string; measurements: { index: number; verdict: string }[] }): void {
  io.stdout(`${out.valid ? 'VALID' : 'INVALID'} ${out.code}: ${out.message}\n`);
  const counts = new Map<string, number>();
  for (const m of out.measurements) counts.set(m.verdict, (counts.get(m.verdict) ?? 0) + 1);
  if (counts.size > 0) io.stdout(`measurements: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
}

function hexArg(raw: string, name: string): Uint8Array {
  const clean = raw.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new EmuError('CLI_BAD_ARGS', `${name} is not hex`);
  return fromHex(clean.toLowerCase());
}

function parseReference(json: string): Map<number, string> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new EmuError('CLI_BAD_ARGS', '--reference is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EmuError('CLI_BAD_ARGS', '--reference must be an object');
  const entries = Object.entries(value);
  if (entries.length > REFERENCE_ENTRIES_MAX) throw new EmuError('CLI_BAD_ARGS', '--reference has too many entries');
  const out = new Map<number, string>();
  for (const [k, v] of entries) {
    const index = Number(k);
    if (!Number.isInteger(index) || index < 1 || index > 254 || typeof v !== 'string' || !/^([0-9a-fA-F]{2})+$/.test(v)) {
      throw new EmuError('CLI_BAD_ARGS', `--reference entry ${k} must be index 1..254 → hex digest`);
    }
    out.set(index, v.toLowerCase());
  }
  return out;
}

/** Leaf first: the certificate no other certificate in the file names as its issuer, then follow issuer links. */
function orderLeafFirst(certs: readonly ParsedCertificate[]): ParsedCertificate[] {
  const leaf = certs.find((c) => !certs.some((o) => o !== c && o.issuer === c.subject));
  if (leaf === undefined) return [];
  const out = [leaf];
  for (let i = 0; i < certs.length; i++) {
    const last = out[out.length - 1]!;
    const next = certs.find((c) => c.subject === last.issuer && !out.includes(c));
    if (next === undefined) break;
    out.push(next);
  }
  return out;
}
