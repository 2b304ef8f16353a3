import { EmuError } from '../../errors.ts';
import { lintKeyPolicy, type Finding } from '../../kms/index.ts';
import { printJson, readText, type Command } from '../command.ts';
import { KMS_SERVE_ARGS, KMS_SERVE_USAGE, runKmsServe } from './kms-serve.ts';

const LINT_ONLY = ['approved-pcr0', 'json'];
const SERVE_ONLY: readonly string[] = [...KMS_SERVE_ARGS.values, ...KMS_SERVE_ARGS.booleans];

export const kmsCommand: Command = {
  name: 'kms',
  summary: 'KMS tools: lint-policy FILE checks a key policy; serve runs the KMS over HTTP for the AWS SDK',
  usage: `${KMS_SERVE_USAGE}

nitro-emu kms lint-policy FILE [--approved-pcr0 HEX[,HEX…]] [--json]

Lints a KMS key policy (JSON) for the KP mistakes of the attack catalogue: account-wide kms:*,
key-yielding operations without an attestation condition, the all-zero (debug) PCR, …IfExists or
StringLike on attestation keys, unknown or misspelt condition keys (with the closest known key),
attestation on PCR3/PCR4/PCR8 only. With --approved-pcr0, an image condition naming another PCR0 is
an error too. --json prints {"file", "errors", "warnings", "findings": [{code, severity, message,
statement}]}. Exit 0 when there is no error (warnings allowed), 1 when there is one.`,
  args: { values: ['approved-pcr0', ...KMS_SERVE_ARGS.values], booleans: ['json', ...KMS_SERVE_ARGS.booleans], positionalsMax: 2 },
  async run(args, io) {
    const [sub, path] = args.positionals;
    // One command, two flag sets: a flag of the other subcommand is as unknown as a misspelt one.
    const given = [...args.values.keys(), ...args.booleans];
    const stray = given.find((flag) => (sub === 'serve' ? LINT_ONLY : SERVE_ONLY).includes(flag));
    if (stray !== undefined) throw new EmuError('CLI_BAD_ARGS', `unknown option --${stray} for kms ${sub ?? ''}`.trim());
    if (sub === 'serve') return runKmsServe(args, io);
    if (sub !== 'lint-policy') throw new EmuError('CLI_BAD_ARGS', 'usage: nitro-emu kms lint-policy FILE [--json] | nitro-emu kms serve [options]');
    if (path === undefined) throw new EmuError('CLI_BAD_ARGS', 'which policy file? usage: nitro-emu kms lint-policy FILE');
    const approved = args.values.get('approved-pcr0');
    const approvedPcr0s = approved === undefined ? undefined : approved.split(',').map((v) => v.trim().toLowerCase());
    if (approvedPcr0s?.some((v) => !/^[0-9a-f]{96}$/.test(v))) {
      throw new EmuError('CLI_BAD_ARGS', '--approved-pcr0 takes 96 hex digits per value, comma-separated');
    }
    const text = readText(io, path);
    const findings = lintKeyPolicy(text, approvedPcr0s === undefined ? {} : { approvedPcr0s });
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.length - errors;
    if (args.booleans.has('json')) printJson(io, { file: path, errors, warnings, findings });
    else {
      for (const f of findings) io.stdout(`${f.severity.toUpperCase()} ${f.code} [statement ${where(f)}]: ${f.message}\n`);
      io.stdout(`${path}: ${errors} error(s), ${warnings} warning(s)\n`);
    }
    return errors > 0 ? 1 : 0;
  },
};

function where(f: Finding): string {
  return typeof f.statement === 'number' ? (f.statement < 0 ? 'policy' : `#${f.statement}`) : JSON.stringify(f.statement);
}
