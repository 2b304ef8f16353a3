import { EXPERIMENT_IDS, TRANSPORT_KINDS, experimentSvg, runExperiment, type ExperimentId, type ExperimentResult, type TransportKind } from '../../efa/index.ts';
import { EmuError } from '../../errors.ts';
import { wallClockMs } from '../../sim/index.ts';
import { optionalInteger } from '../args.ts';
import { printJson, type Command } from '../command.ts';

const ENCRYPT = ['on', 'off'] as const;
const CRYPTO = ['real', 'model'] as const;

function choice<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, what: string): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new EmuError('CLI_BAD_ARGS', `${what} must be ${allowed.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** The bars research/efa-srd.md §6 sets for SRD, checked on the human-readable output. */
function bars(result: ExperimentResult): Array<[string, boolean]> {
  const m = (name: string): number => {
    const v = result.metrics[name];
    return typeof v === 'number' ? v : Number.NaN;
  };
  switch (result.experiment) {
    case 'E1':
      return [['median FCT ≤ 1.2 × ideal', m('fctP50OverIdeal') <= 1.2]];
    case 'E2':
      return [
        ['no application error, order kept', m('appErrors') === 0],
        ['goodput ≥ 95% within 200 µs', m('recoveryUs') <= 200],
      ];
    case 'E3':
      return [
        ['goodput ≥ 95% of line rate (one connection and 8 on one host pair)', m('goodputFraction') >= 0.95],
        ['extra, not the research bar: ≥ 95% on the leaf-to-leaf permutation', m('goodputFractionPermutation') >= 0.95],
      ];
    case 'E4':
      return [
        ['completion ≤ 1.3 × ideal at every N', m('completionOverIdealMax') <= 1.3],
        ['Jain ≥ 0.95 at every N', m('jainFairnessMin') >= 0.95],
      ];
  }
}

export const fabricCommand: Command = {
  name: 'fabric',
  summary: 'run an EFA/SRD fabric experiment (E1–E4) against the TCP-like and go-back-N baselines',
  usage: `nitro-emu fabric experiment E1|E2|E3|E4 [--seed N] [--transport srd|tcp|tcp-1ms|gbn] [--encrypt on|off]
                [--crypto real|model] [--json] [--svg FILE]

Runs one experiment of research/efa-srd.md §6 on the deterministic fabric (virtual time; the same seed gives
the same numbers):
  E1  ECMP collisions vs spraying: 8→8 permutation of 2 MiB flows (4 rounds), then 64 KiB closed loops
  E2  a spine uplink black-holes at 0.5 ms, routing converges 50 ms later; 8 pairs at 50% offered load
  E3  1% random loss per packet, 64 KiB messages: one connection, 8 parallel connections on the same host pair,
      and (extra) 8 pairs as a leaf-to-leaf permutation at full spine load (…Permutation metrics)
  E4  incast of 8, 32 and 64 senders × 1 MiB into one 100 Gb/s port

  --seed N         fabric seed (default 1)
  --transport T    srd (default), tcp (RTO_min 200 ms), tcp-1ms, gbn (RoCE-like go-back-N)
  --encrypt E      on (default: AES-256-GCM on every packet) or off
  --crypto C       real (default) or model (same bytes on the wire and same checks, no AES call: same virtual time)
  --json           print {experiment, transport, metrics:{…}} on stdout; metric names carry their unit
  --svg FILE       also run the other transports and write the experiment's picture (CDFs, goodput, per-N) to FILE`,
  args: { values: ['seed', 'transport', 'encrypt', 'crypto', 'svg'], booleans: ['json'], positionalsMax: 2 },
  async run(args, io) {
    const [verb, id] = args.positionals;
    if (verb !== 'experiment') throw new EmuError('CLI_BAD_ARGS', `expected "fabric experiment E1|E2|E3|E4", got ${JSON.stringify(verb ?? '')}`);
    if (id === undefined || !(EXPERIMENT_IDS as readonly string[]).includes(id)) {
      throw new EmuError('CLI_BAD_ARGS', `experiment must be ${EXPERIMENT_IDS.join(', ')}, got ${JSON.stringify(id ?? '')}`);
    }
    const experiment = id as ExperimentId;
    const seed = optionalInteger(args, 'seed', 1, 2 ** 40);
    const transport = choice<TransportKind>(args.values.get('transport'), TRANSPORT_KINDS, 'srd', '--transport');
    const encrypt = choice(args.values.get('encrypt'), ENCRYPT, 'on', '--encrypt') === 'on';
    const crypto = choice(args.values.get('crypto'), CRYPTO, 'real', '--crypto');
    const svgPath = args.values.get('svg');
    if (svgPath === '') throw new EmuError('CLI_BAD_ARGS', '--svg needs a file name');
    const json = args.booleans.has('json');
    const onProgress = (line: string): void => io.stderr(`  … ${line}\n`);
    const run = (kind: TransportKind): { result: ExperimentResult; wallMs: number } => {
      const started = wallClockMs();
      const result = runExperiment(experiment, { seed, transport: kind, encrypt, crypto, onProgress });
      return { result, wallMs: wallClockMs() - started };
    };
    io.stderr(`nitro-emu fabric experiment ${experiment} — seed ${seed}, ${transport}, encryption ${encrypt ? `on (${crypto})` : 'off'}\n`);
    const main = run(transport);
    const { result } = main;
    if (json) {
      printJson(io, {
        experiment,
        transport,
        seed,
        encrypt,
        metrics: result.metrics,
        events: result.events,
        virtualMs: result.virtualPs / 1e9,
        wallMs: main.wallMs,
      });
    } else {
      io.stdout(`${experiment} ${transport} (seed ${seed}, encryption ${encrypt ? 'on' : 'off'}): ${result.events} events, ${(result.virtualPs / 1e9).toFixed(3)} ms virtual, ${main.wallMs} ms wall\n`);
      for (const [name, value] of Object.entries(result.metrics)) {
        if (typeof value === 'number') io.stdout(`  ${name.padEnd(28)} ${value}\n`);
        else for (const [n, values] of Object.entries(value)) io.stdout(`  N=${n.padEnd(26)} ${Object.entries(values).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
      }
      if (transport === 'srd') for (const [bar, met] of bars(result)) io.stdout(`  ${met ? 'meets' : 'MISSES'}: ${bar}\n`);
    }
    if (svgPath !== undefined) {
      const all = [result];
      for (const other of TRANSPORT_KINDS) {
        if (other === transport) continue;
        io.stderr(`  running ${experiment} with ${other} for the picture\n`);
        all.push(run(other).result);
      }
      io.writeFile(svgPath, experimentSvg(all));
      io.stderr(`  wrote ${svgPath}\n`);
    }
    return 0;
  },
};
