import { EmuError } from '../../errors.ts';
import { mergeReports, parseShard, parseShardReport, runSwarm, SWARM_SEEDS_MAX, type SwarmReport } from '../../scenario/swarm/index.ts';
import { DEFENCE_NAMES, type WorldDefences } from '../../world/index.ts';
import { optionalInteger, requireValue, type ParsedArgs } from '../args.ts';
import { printJson, type Command, type CommandIo } from '../command.ts';

const SHARD_FILES_MAX = 1024;

export const swarmCommand: Command = {
  name: 'swarm',
  summary: 'run the full flow under seeded fault plans (drops, reorders, crashes, outages) and check every invariant',
  usage: `nitro-emu swarm --seeds N [--start S] [--shard k/n] [--json] [--defence-off D,…] [--workers W]
nitro-emu swarm merge FILE… 

Each seed samples its own fault plan (which pipe faults exist and how often: drop, duplicate,
reorder, delay on the vsock, KMS or client links; an enclave crash with or without restart; a KMS
outage; a vsock-proxy crash) and runs the whole flow under it: deployment, a supervised enclave
launch, attested inference with client retries, the parent's probes, teardown. Every safety
invariant is checked; a run that cannot finish is an availability failure, not a violation.
On a violation it prints the seed and the one-line command that replays it. Exit 0 iff no violation.

  --seeds N         how many seeds, from --start (default 0)
  --shard k/n       run only the seeds with (seed - start) % n == k - 1 (independent shards)
  --json            print {"runs","violations":[{seed,invariant,detail,repro}],"digest",…} on stdout
  --defence-off D   negative control: run with defences off (${DEFENCE_NAMES.join(', ')})
  --workers W       worker threads (default 2 when the shard has 16 seeds or more; 0: this thread)

merge: combines shard JSON files into the report of the unsharded run (same digest); refuses
overlapping, inconsistent or missing shards.`,
  args: { values: ['seeds', 'start', 'shard', 'defence-off', 'workers'], booleans: ['json'], positionalsMax: SHARD_FILES_MAX + 1 },
  async run(args, io) {
    if (args.positionals[0] === 'merge') return merge(args, io);
    if (args.positionals.length > 0) throw new EmuError('CLI_BAD_ARGS', `unexpected argument ${JSON.stringify(args.positionals[0])} (did you mean swarm merge?)`);
    const json = args.booleans.has('json');
    requireValue(args, 'seeds');
    const seeds = optionalInteger(args, 'seeds', 0, SWARM_SEEDS_MAX);
    const start = optionalInteger(args, 'start', 0);
    const shard = parseShard(args.values.get('shard') ?? '1/1');
    const defencesOff = parseDefencesOff(args.values.get('defence-off'));
    const workers = args.values.has('workers') ? optionalInteger(args, 'workers', 0, 8) : undefined;
    const narrate = (text: string) => (json ? io.stderr(text) : io.stdout(text));
    const shardText = shard[1] > 1 ? `, shard ${shard[0]}/${shard[1]}` : '';
    narrate(`nitro-emu swarm — seeds ${seeds === 0 ? 'none' : `${start}…${start + seeds - 1}`} (${seeds})${shardText}${defencesOff.length ? `, defences OFF: ${defencesOff.join(', ')}` : ''}\n`);
    const bar = io.stderrIsTty ? progressBar(io) : undefined;
    const { report, results } = await runSwarm({
      seeds,
      start,
      shard,
      defencesOff,
      ...(workers !== undefined ? { workers } : {}),
      ...(bar ? { onProgress: bar.update } : {}),
    });
    bar?.clear();
    if (json) printJson(io, report);
    else {
      for (const r of results) if (r.violations.length > 0) narrate(`  seed ${r.seed}: ${r.plan}\n`);
      printSummary(report, narrate);
    }
    if (json) for (const v of report.violations) io.stderr(`VIOLATION seed ${v.seed} ${v.invariant}: ${v.detail}\n  reproduce: ${v.repro}\n`);
    return report.violations.length === 0 ? 0 : 1;
  },
};

function merge(args: ParsedArgs, io: CommandIo): number {
  const files = args.positionals.slice(1);
  if (files.length === 0) throw new EmuError('CLI_BAD_ARGS', 'swarm merge needs the shard JSON files');
  for (const flag of ['seeds', 'start', 'shard', 'defence-off', 'workers']) {
    if (args.values.has(flag)) throw new EmuError('CLI_BAD_ARGS', `--${flag} does not apply to swarm merge`);
  }
  const shards = files.map((name) => ({ name, report: parseShardReport(name, new TextDecoder().decode(io.readFile(name))) }));
  const report = mergeReports(shards);
  if (args.booleans.has('json')) printJson(io, report);
  else printSummary(report, (text) => io.stdout(text));
  return report.violations.length === 0 ? 0 : 1;
}

function printSummary(report: SwarmReport, narrate: (text: string) => void): void {
  narrate(`${report.runs} runs: ${report.completed} completed with output == reference, ${report.unavailable} unavailable (typed failures, not violations)\n`);
  if (report.violations.length === 0) narrate('no safety invariant was violated\n');
  for (const v of report.violations) narrate(`VIOLATION seed ${v.seed} ${v.invariant}: ${v.detail}\n  reproduce: ${v.repro}\n`);
  narrate(`digest ${report.digest}\n`);
}

/** A one-line bar on stderr, redrawn in place; only ever used when stderr is a terminal. */
function progressBar(io: CommandIo): { update: (done: number, total: number) => void; clear: () => void } {
  const width = 30;
  return {
    update: (done, total) => {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} seeds`);
    },
    clear: () => io.stderr('\r\x1b[K'),
  };
}

function parseDefencesOff(text: string | undefined): Array<keyof WorldDefences> {
  if (text === undefined) return [];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(DEFENCE_NAMES as readonly string[]).includes(name)) {
      throw new EmuError('CLI_BAD_ARGS', `unknown defence ${JSON.stringify(name)}; known: ${DEFENCE_NAMES.join(', ')}`);
    }
  }
  return names as Array<keyof WorldDefences>;
}
