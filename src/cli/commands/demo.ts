import { CLUSTER_HOSTS_MAX, CLUSTER_HOSTS_MIN } from '../../cluster/index.ts';
import { EmuError } from '../../errors.ts';
import { parseEpoch } from '../../sim/index.ts';
import { DEFENCE_NAMES, World, runFlow, type FlowReport, type WorldDefences } from '../../world/index.ts';
import { optionalInteger } from '../args.ts';
import { printJson, type Command, type CommandIo } from '../command.ts';
import { parseRanks, runClusterDemo } from './demo-cluster.ts';
import { flowTracePage } from '../../trace-view/index.ts';
import { TRACE_FLAGS, TRACE_USAGE, checkTraceArgs, wantsTrace, writeTraceFiles } from './trace-files.ts';
import { GUIDED_USAGE, runGuidedCommand } from './demo-guided.ts';
import { cliLogSink, logFlagsOf, logFlagsHelp, logOptionsFrom } from '../log.ts';

const NS_PER_MS = 1_000_000;

function formatMs(ns: number): string {
  return `${(ns / NS_PER_MS).toFixed(3)} ms`;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the end-to-end flow: attested key release, enclave inference, ledger and canary check',
  usage: `nitro-emu demo [--seed N] [--epoch MS|ISO|now] [--json] [--debug-mode] [--device gpu|trainium|none]
                [--devices N] [--defence-off NAME[,NAME…]]
                [--hosts N [--debug-ranks R,…] [--foreign-ranks R,…]]

Runs DESIGN.md §1 steps 1–6 for real (KMS key with an attestation policy, envelope-encrypted weights,
enclave launch, NSM attestation, Decrypt with Recipient, decryption inside), then steps 7–9: the enclave
attests its accelerators, streams the model through encrypted bounce buffers (and device-to-device links),
and a client's attested inference runs on the devices; then teardown with device scrub. Narrates each step: who sent what, who could read it. Ends with what each
principal obtained and the canary check. Exit 0 only if every invariant held.

  --seed N          world seed (default 1); the same seed and epoch give the same digest
  --epoch T         UTC instant of virtual time 0 (default 2026-01-01T00:00:00Z)
  --json            print {seed, digest, invariants, ledger, …} on stdout; narration goes to stderr
  --debug-mode      launch the enclave in debug mode (its PCR0 reads as zero: KMS must refuse it)
  --device D        accelerator flavour: gpu (default; NVIDIA's published SPDM model), trainium (platform-mediated,
                    an ASSUMED design), or none (the enclave runs a small MLP on its CPU)
  --devices N       accelerators on the host (default 2, 1…8): layers split across them, activations on encrypted links
${logFlagsHelp(20)}
  --defence-off D   negative control: switch defences off (${DEFENCE_NAMES.join(', ')})
${TRACE_USAGE}
  --hosts N         the multi-host flow (2…8 hosts; default 1, the single-host flow above): each host launches its
                    enclave, which computes a local tensor on its devices; the enclaves attest each other over the
                    EFA fabric with their own NSM documents and ring-all-reduce their tensors over encrypted SRD;
                    ends with the mesh, the bit-exact verdict against a single-host reference and the leak check
                    (--device and --devices apply per host, default 1 device; --json prints the cluster report)
  --debug-ranks R   with --hosts: these ranks launch in debug mode (their peers must refuse them)
  --foreign-ranks R with --hosts: these ranks run a co-tenant's image (not the job's approved PCR0)

Guided teaching demos:
${GUIDED_USAGE}`,
  args: { values: ['seed', 'epoch', 'defence-off', 'device', 'devices', 'hosts', 'debug-ranks', 'foreign-ranks', ...TRACE_FLAGS], booleans: ['json', 'debug-mode', 'log', 'pretty', 'list', 'control', 'pause'], positionalsMax: 2 },
  async run(args, io) {
    if (args.booleans.has('list') || args.positionals.length > 0) return runGuidedCommand(args, io);
    if (args.booleans.has('control') || args.booleans.has('pause')) throw new EmuError('CLI_BAD_ARGS', '--control and --pause go with a named demo (nitro-emu demo --list)');
    const json = args.booleans.has('json');
    const seed = optionalInteger(args, 'seed', 1);
    const epochMs = parseEpoch(args.values.get('epoch'), 'fixed');
    const defences = parseDefencesOff(args.values.get('defence-off'));
    const hosts = optionalInteger(args, 'hosts', 1);
    checkTraceArgs(args);
    if (hosts !== 1 && wantsTrace(args)) throw new EmuError('CLI_BAD_ARGS', '--trace and --mermaid draw the single-host flow (not --hosts)');
    if (hosts !== 1) return runCluster(args, io, { seed, epochMs, hosts, defences, json });
    if (args.values.has('debug-ranks') || args.values.has('foreign-ranks')) throw new EmuError('CLI_BAD_ARGS', '--debug-ranks and --foreign-ranks need --hosts N (N ≥ 2)');
    const accelerators = parseAccelerators(args.values.get('device'), optionalInteger(args, 'devices', 2));
    const narrate = (text: string) => (json ? io.stderr(text) : io.stdout(text));
    narrate(`nitro-emu demo — seed ${seed}, epoch ${new Date(epochMs).toISOString()}${Object.keys(defences).length ? `, defences OFF: ${Object.keys(defences).join(', ')}` : ''}\n`);
    const deviceFlags = accelerators === undefined ? ' --device none' : ` --device ${accelerators.flavour} --devices ${accelerators.count}`;
    narrate(`reproduce: nitro-emu demo --seed ${seed} --epoch ${epochMs}${deviceFlags}${args.values.has('defence-off') ? ` --defence-off ${args.values.get('defence-off')}` : ''}${args.booleans.has('debug-mode') ? ' --debug-mode' : ''}\n\n`);
    const world = new World({
      seed,
      epochMs,
      defences,
      debugMode: args.booleans.has('debug-mode'),
      ...(accelerators !== undefined ? { accelerators } : {}),
      ...logSinkOf(args, seed, io),
    });
    const report = await runFlow(world, (step) => {
      narrate(`${String(step.step).padStart(2)}. ${step.title}   [virtual ${formatMs(step.timeNs)}]\n`);
      narrate(`    ${step.what}\n    who could read it: ${step.readers}\n\n`);
    });
    printSummary(report, narrate);
    if (wantsTrace(args)) writeTraceFiles(args, io, flowTracePage(world, report));
    const allHeld = Object.values(report.invariants).every((v) => v.held);
    if (json) {
      printJson(io, {
        seed: report.seed,
        epochMs: report.epochMs,
        digest: report.digest,
        invariants: Object.fromEntries(Object.entries(report.invariants).map(([name, v]) => [name, v.held])),
        ledger: report.ledger,
        details: Object.fromEntries(Object.entries(report.invariants).map(([name, v]) => [name, v.detail])),
        leaks: report.leaks,
        enclave: report.enclave,
        approvedPcr0: report.approvedPcr0,
        inference: report.inference,
        probes: report.probes,
        virtualTimeNs: report.virtualTimeNs,
        ...(report.accelerators !== undefined ? { accelerators: report.accelerators } : {}),
      });
    }
    return allHeld ? 0 : 1;
  },
};

const DEVICES_MAX = 8;

/** --log / --pretty: the world's trace on stderr, every line stamped with virtual time and seed. */
function logSinkOf(args: Parameters<Command['run']>[0], seed: number, io: CommandIo): { log?: ReturnType<typeof cliLogSink> } {
  const options = logOptionsFrom(logFlagsOf(args), seed, io.stderr);
  return options === undefined ? {} : { log: cliLogSink(options) };
}

/** `--hosts N`: the cluster flow; every flag that means something per host applies to each host. */
function runCluster(
  args: Parameters<Command['run']>[0],
  io: CommandIo,
  common: { seed: number; epochMs: number; hosts: number; defences: Partial<Record<keyof WorldDefences, boolean>>; json: boolean },
): Promise<number> {
  if (common.hosts < CLUSTER_HOSTS_MIN || common.hosts > CLUSTER_HOSTS_MAX) {
    throw new EmuError('CLI_BAD_ARGS', `--hosts must be 1 (the single-host flow) or ${CLUSTER_HOSTS_MIN}…${CLUSTER_HOSTS_MAX}, got ${common.hosts}`);
  }
  if (args.booleans.has('debug-mode')) throw new EmuError('CLI_BAD_ARGS', 'with --hosts, name the debug-mode ranks with --debug-ranks R,…');
  if (args.booleans.has('log') || args.booleans.has('pretty')) throw new EmuError('CLI_BAD_ARGS', '--log and --pretty are for the single-host flow');
  const accelerators = parseAccelerators(args.values.get('device'), optionalInteger(args, 'devices', 1));
  const narrate = (text: string) => (common.json ? io.stderr(text) : io.stdout(text));
  const flags = [
    `--hosts ${common.hosts}`,
    accelerators === undefined ? '--device none' : `--device ${accelerators.flavour} --devices ${accelerators.count}`,
    ...(['defence-off', 'debug-ranks', 'foreign-ranks'] as const).filter((f) => args.values.has(f)).map((f) => `--${f} ${args.values.get(f)}`),
  ];
  narrate(`nitro-emu demo — ${common.hosts} hosts, seed ${common.seed}, epoch ${new Date(common.epochMs).toISOString()}${Object.keys(common.defences).length ? `, defences OFF: ${Object.keys(common.defences).join(', ')}` : ''}\n`);
  narrate(`reproduce: nitro-emu demo --seed ${common.seed} --epoch ${common.epochMs} ${flags.join(' ')}\n\n`);
  return runClusterDemo(
    {
      ...common,
      accelerators: accelerators ?? { flavour: 'gpu', count: 0 },
      debugRanks: parseRanks('debug-ranks', args.values.get('debug-ranks')),
      foreignImageRanks: parseRanks('foreign-ranks', args.values.get('foreign-ranks')),
    },
    io,
  );
}

function parseAccelerators(device: string | undefined, count: number): { flavour: 'gpu' | 'trainium'; count: number } | undefined {
  const flavour = device ?? 'gpu';
  if (flavour === 'none') return undefined;
  if (flavour !== 'gpu' && flavour !== 'trainium') throw new EmuError('CLI_BAD_ARGS', `--device must be gpu, trainium or none, got ${JSON.stringify(flavour)}`);
  if (count < 1 || count > DEVICES_MAX) throw new EmuError('CLI_BAD_ARGS', `--devices must be 1…${DEVICES_MAX}`);
  return { flavour, count };
}

function parseDefencesOff(text: string | undefined): Partial<Record<keyof WorldDefences, boolean>> {
  const off: Partial<Record<keyof WorldDefences, boolean>> = {};
  if (text === undefined) return off;
  for (const name of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(DEFENCE_NAMES as readonly string[]).includes(name)) {
      throw new EmuError('CLI_BAD_ARGS', `unknown defence ${JSON.stringify(name)}; known: ${DEFENCE_NAMES.join(', ')}`);
    }
    off[name as keyof WorldDefences] = false;
  }
  return off;
}

function printSummary(report: FlowReport, narrate: (text: string) => void): void {
  narrate('What each principal obtained (the observation ledger):\n');
  narrate(`  ${'principal'.padEnd(14)}${'items'.padStart(7)}${'bytes'.padStart(11)}  canaries seen\n`);
  for (const [principal, summary] of Object.entries(report.ledger)) {
    const seen = summary.canariesSeen.length ? summary.canariesSeen.join(', ') : '—';
    narrate(`  ${principal.padEnd(14)}${String(summary.observations).padStart(7)}${String(summary.bytes).padStart(11)}  ${seen}\n`);
  }
  narrate('  (enclave and kms are the TCB: they are meant to hold secrets; owner and client own theirs)\n\n');
  narrate('Invariants:\n');
  for (const [name, verdict] of Object.entries(report.invariants)) {
    narrate(`  ${verdict.held ? 'held    ' : 'VIOLATED'} ${name}: ${verdict.detail}\n`);
  }
  narrate(`\nvirtual time ${formatMs(report.virtualTimeNs)}; trace digest ${report.digest}\n`);
}

export type { CommandIo };
