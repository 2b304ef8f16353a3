import { DEFAULT_TRANSFORMER_SHAPE, type AcceleratorFlavour } from '../../accelerator/index.ts';
import { fromHex, sha256Hex } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import { wallClockMs } from '../../sim/index.ts';
import { World, runFlow } from '../../world/index.ts';
import { optionalInteger } from '../args.ts';
import { printJson, type Command } from '../command.ts';
import { cliLogSink, logFlagsOf, logFlagsHelp, logOptionsFrom } from '../log.ts';

const PATHS = ['confidential', 'plain'] as const;
const FLAVOURS: readonly AcceleratorFlavour[] = ['gpu', 'trainium'];
const DEVICES_MAX = 8;

function choice<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T | undefined, flag: string): T {
  if (value === undefined) {
    if (fallback === undefined) throw new EmuError('CLI_BAD_ARGS', `--${flag} is required (${allowed.join(' or ')})`);
    return fallback;
  }
  if (!(allowed as readonly string[]).includes(value)) throw new EmuError('CLI_BAD_ARGS', `--${flag} must be ${allowed.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export const inferCommand: Command = {
  name: 'infer',
  summary: 'run the flow to an inference result on accelerators, confidential or plain',
  usage: `nitro-emu infer --seed N --path confidential|plain [--device gpu|trainium] [--devices N] [--json] [--log|--pretty]

Runs the whole flow with accelerators: KMS releases the weights key to the attested enclave, the enclave
attests its devices (GPU: SPDM directly; Trainium: the Nitro controller's endorsement, an ASSUMED design),
streams a ${DEFAULT_TRANSFORMER_SHAPE.layers}-layer transformer through the bounce buffers, and a client's prompt is answered on the
devices. --path plain runs the same with confidential computing off (plaintext staging, no device
attestation): both paths give the same outputSha256 for the same seed; only the time and who could read
what differ.

  --seed N        world seed (default 1)
  --path P        confidential or plain (required)
  --device D      gpu (default) or trainium
  --devices N     accelerators on the host, 1…${DEVICES_MAX} (default 1); layers are split across them
  --json          print {outputSha256, tokens, virtualTimeNs, wallMs, device, …} on stdout
${logFlagsHelp(18)}`,
  args: { values: ['seed', 'path', 'device', 'devices'], booleans: ['json', 'log', 'pretty'] },
  async run(args, io) {
    const seed = optionalInteger(args, 'seed', 1);
    const path = choice(args.values.get('path'), PATHS, undefined, 'path');
    const flavour = choice(args.values.get('device'), FLAVOURS, 'gpu', 'device');
    const count = optionalInteger(args, 'devices', 1);
    if (count < 1 || count > DEVICES_MAX) throw new EmuError('CLI_BAD_ARGS', `--devices must be 1…${DEVICES_MAX}`);
    const logging = logOptionsFrom(logFlagsOf(args), seed, io.stderr, { path });
    const started = wallClockMs();
    const world = new World({
      seed,
      accelerators: { flavour, count, shape: DEFAULT_TRANSFORMER_SHAPE },
      defences: { deviceConfidentialPath: path === 'confidential' },
      ...(logging === undefined ? {} : { log: cliLogSink(logging) }),
    });
    const report = await runFlow(world);
    const wallMs = wallClockMs() - started;
    const { inference } = report;
    if (!inference.completed) {
      throw new EmuError('INFER_FAILED', `no inference result: ${inference.error ?? report.probes['enclave'] ?? 'the enclave stopped'}`);
    }
    const output = fromHex(inference.outputHex);
    const accelerators = report.accelerators!;
    const result = {
      outputSha256: sha256Hex(output),
      tokens: [...output],
      virtualTimeNs: report.virtualTimeNs,
      wallMs,
      device: flavour,
      devices: count,
      path,
      trustModel: accelerators.trustModel,
      label: accelerators.label,
      deviceBusyNs: accelerators.deviceBusyNs,
      matchesReference: inference.matches,
    };
    if (args.booleans.has('json')) printJson(io, result);
    else {
      io.stdout(`nitro-emu infer — seed ${seed}, ${count} ${flavour} device(s), ${path} path${accelerators.label === 'assumed' ? ' (trust model: platform-mediated, ASSUMED)' : ''}\n`);
      io.stdout(`  tokens       ${result.tokens.join(' ')}\n`);
      io.stdout(`  outputSha256 ${result.outputSha256}${inference.matches ? ' (equals the CPU reference)' : ' (DIFFERS from the CPU reference)'}\n`);
      io.stdout(`  virtual time ${(report.virtualTimeNs / 1e6).toFixed(3)} ms (device busy ${(accelerators.deviceBusyNs / 1e6).toFixed(3)} ms); wall ${wallMs} ms\n`);
    }
    return inference.matches ? 0 : 1;
  },
};
