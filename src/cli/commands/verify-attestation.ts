import { AttestationVerifier, parseAttestationDocument, pemToDer, toHex, type AttestationDocument } from '../../crypto/index.ts';
import { EmuError, isEmuError } from '../../errors.ts';
import { parseEpoch } from '../../sim/index.ts';
import { requireValue } from '../args.ts';
import { printJson, type Command } from '../command.ts';

export const verifyAttestationCommand: Command = {
  name: 'verify-attestation',
  summary: 'verify a Nitro attestation document against a pinned root at a given time',
  usage: `nitro-emu verify-attestation DOC --root PEM [--at MS|ISO] [--json]

Checks the COSE_Sign1 ES384 signature, the certificate chain up to the pinned root (never the
document's own cabundle[0]), every certificate's validity at --at (default: now) and the document's
field rules. Exit 0 if valid, 1 if not. A debug-mode document with a good signature and chain is
valid and reported with debugMode: true — refusing it is a key policy's job, as in real KMS.`,
  args: { values: ['root', 'at'], booleans: ['json'], positionalsMax: 1 },
  async run(args, io) {
    const path = args.positionals[0];
    if (path === undefined) throw new EmuError('CLI_BAD_ARGS', 'which document? usage: verify-attestation DOC --root PEM');
    const documentBytes = io.readFile(path);
    const roots = pemToDer(new TextDecoder().decode(io.readFile(requireValue(args, 'root'))), 'CERTIFICATE');
    if (roots.length !== 1) throw new EmuError('CLI_BAD_ARGS', `--root must hold exactly one certificate, found ${roots.length}`);
    const atMs = parseEpoch(args.values.get('at'), 'now');
    let doc: AttestationDocument | undefined;
    try {
      doc = parseAttestationDocument(documentBytes).doc;
    } catch {
      doc = undefined;
    }
    let result: { valid: boolean; code: string; message: string; debugMode: boolean | null };
    try {
      const verified = new AttestationVerifier(roots[0]!).verify(documentBytes, { atMs });
      result = { valid: true, code: 'OK', message: 'signature, chain and fields are valid', debugMode: verified.debugMode };
    } catch (error) {
      if (!isEmuError(error)) throw error;
      result = { valid: false, code: error.code, message: error.message, debugMode: doc ? isDebug(doc) : null };
    }
    const report = {
      valid: result.valid,
      code: result.code,
      message: result.message,
      moduleId: doc?.moduleId ?? null,
      timestamp: doc?.timestamp ?? null,
      pcrs: doc ? Object.fromEntries([...doc.pcrs].map(([i, v]) => [String(i), toHex(v)])) : null,
      debugMode: result.debugMode,
    };
    if (args.booleans.has('json')) printJson(io, report);
    else {
      io.stdout(`${report.valid ? 'VALID' : 'INVALID'} ${report.code}: ${report.message}\n`);
      if (doc) {
        io.stdout(`module ${doc.moduleId}, issued ${new Date(doc.timestamp).toISOString()}, checked at ${new Date(atMs).toISOString()}\n`);
        io.stdout(`PCR0 ${report.pcrs?.['0'] ?? '—'}${report.debugMode ? '  (debug mode: PCR0/1/2/8 are zero)' : ''}\n`);
      }
    }
    return report.valid ? 0 : 1;
  },
};

function isDebug(doc: AttestationDocument): boolean {
  return [0, 1, 2, 8].every((i) => {
    const value = doc.pcrs.get(i);
    return value === undefined || value.every((b) => b === 0);
  });
}
