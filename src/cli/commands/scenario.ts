import { EmuError } from '../../errors.ts';
import { CATALOGUE } from '../../scenario/catalogue/index.ts';
import type { Scenario } from '../../scenario/define.ts';
import { runCatalogueInPool } from '../../scenario/pool.ts';
import { junitXml } from '../../scenario/report-junit.ts';
import { ledgerReport } from '../../scenario/report-ledger.ts';
import { formatTable, reproCommand, resultsJson } from '../../scenario/report.ts';
import { runScenario, runScenarios, type RunOptions, type ScenarioResult } from '../../scenario/runner.ts';
import { compileYamlScenario } from '../../scenario/yaml.ts';
import { optionalInteger } from '../args.ts';
import { printJson, type Command, type CommandIo } from '../command.ts';
import { scenarioTracePage, type ScenarioRunCapture } from '../../trace-view/index.ts';
import { TRACE_FLAGS, TRACE_USAGE, checkTraceArgs, wantsTrace, writeTraceFiles } from './trace-files.ts';
import { cliLogSink, logFlagsOf, logFlagsHelp, logOptionsFrom } from '../log.ts';

/** Bound on scenarios named on one command line. */
const SELECTED_MAX = 500;

function listScenarios(json: boolean, io: CommandIo): number {
  if (json) {
    printJson(
      io,
      CATALOGUE.map((s) => ({ id: s.id, name: s.name, attacker: s.attacker, promises: s.promises, invariants: s.invariants, expect: s.expect })),
    );
    return 0;
  }
  const width = Math.max(2, ...CATALOGUE.map((s) => s.id.length));
  const nameWidth = Math.max(4, ...CATALOGUE.map((s) => s.name.length));
  io.stdout(`${'id'.padEnd(width)}  ${'name'.padEnd(nameWidth)}  ${'attacker'.padEnd(12)}  expect    title\n`);
  for (const s of CATALOGUE) io.stdout(`${s.id.padEnd(width)}  ${s.name.padEnd(nameWidth)}  ${s.attacker.padEnd(12)}  ${s.expect.padEnd(8)}  ${s.title}\n`);
  io.stdout(`\n${CATALOGUE.length} scenarios\n`);
  return 0;
}

/** By catalogue id (any case) or name; each once, in catalogue order so reports are stable. */
function select(names: readonly string[]): Scenario<any>[] {
  const wanted = new Set<Scenario<any>>();
  for (const name of names) {
    const found = CATALOGUE.find((s) => s.id.toLowerCase() === name.toLowerCase() || s.name === name);
    if (found === undefined) throw new EmuError('CLI_UNKNOWN_SCENARIO', `no scenario ${JSON.stringify(name)} (see nitro-emu scenario list)`);
    wanted.add(found);
  }
  return CATALOGUE.filter((s) => wanted.has(s));
}

/** --log / --pretty: each run's world logs to stderr, every line stamped with vt, seed, scenario and run. */
function runLog(args: Parameters<Command['run']>[0], seed: number, io: CommandIo): Pick<RunOptions, 'log'> {
  const flags = logFlagsOf(args);
  if (!flags.log && !flags.pretty) return {};
  return {
    log: (run) => cliLogSink(logOptionsFrom(flags, seed, io.stderr, { scenario: run.scenario, run: run.defended ? 'defended' : 'control' })!),
  };
}

async function runSelected(args: Parameters<Command['run']>[0], io: CommandIo): Promise<number> {
  const json = args.booleans.has('json');
  const seed = optionalInteger(args, 'seed', 1, 0xffff_ffff);
  const file = args.values.get('file');
  const names = args.positionals.slice(1);
  const all = args.booleans.has('all');
  if ([file !== undefined, all, names.length > 0].filter(Boolean).length !== 1) {
    throw new EmuError('CLI_BAD_ARGS', 'name scenarios (ID or NAME…), or give --all, or --file PATH.yaml — exactly one of these');
  }
  if (names.length > SELECTED_MAX) throw new EmuError('CLI_BAD_ARGS', `at most ${SELECTED_MAX} scenarios at once`);
  const narrate = (text: string) => (json ? io.stderr(text) : io.stdout(text));
  checkTraceArgs(args);
  const trace = wantsTrace(args);
  if (trace && (all || names.length > 1)) throw new EmuError('CLI_BAD_ARGS', '--trace and --mermaid draw one scenario: name exactly one (or give --file)');
  narrate(`seed ${seed}\n`);
  // The trace page draws the scenario's runs from their worlds, so it takes them as each run ends.
  const captures: ScenarioRunCapture[] = [];
  const log: Pick<RunOptions, 'log' | 'onRun'> = {
    ...runLog(args, seed, io),
    ...(trace ? { onRun: (run) => void captures.push({ record: run.record, world: run.worlds[0]!, hosts: run.worlds.length }) } : {}),
  };

  let results: ScenarioResult[];
  if (file !== undefined) {
    const scenario = compileYamlScenario(new TextDecoder().decode(io.readFile(file)), file);
    results = [await runScenario(scenario, { seed, ...log })];
  } else {
    const list = all ? [...CATALOGUE] : select(names);
    if (list.length === 0) throw new EmuError('CLI_BAD_ARGS', 'the catalogue is empty');
    // Many scenarios: both cores, results merged in catalogue order (the same as a sequential run).
    // Logging runs in this process, one scenario after another: the pool's workers have no stderr of ours.
    results =
      log.log !== undefined
        ? await runScenarios(list, { seed, ...log })
        : list.length > 1
        ? await runCatalogueInPool(
            list.map((s) => s.id),
            { seed, ...(io.stderrIsTty ? { onResult: (_: ScenarioResult, done: number) => io.stderr(`\r${done}/${list.length} scenarios`) } : {}) },
          )
        : [await runScenario(list[0] as Scenario<any>, { seed, ...log })];
    if (io.stderrIsTty && list.length > 1) io.stderr('\n');
  }

  if (json) printJson(io, resultsJson(seed, results));
  else io.stdout(formatTable(results));
  const junit = args.values.get('junit');
  if (junit !== undefined) io.writeFile(junit, junitXml(results, { seed }));
  const ledger = args.values.get('ledger');
  if (ledger !== undefined) io.writeFile(ledger, `${JSON.stringify(ledgerReport(seed, results), null, 2)}\n`);
  const defendedRun = captures.find((c) => c.record.defended);
  if (results[0] !== undefined && defendedRun !== undefined) {
    writeTraceFiles(args, io, scenarioTracePage(results[0], defendedRun, captures.find((c) => !c.record.defended) ?? null));
  }
  const failed = results.filter((r) => !r.passed);
  for (const r of failed) narrate(`FAIL ${r.id} ${r.name}: ${r.reason}\n  repro: ${reproCommand(r, seed, file)}\n`);
  return failed.length === 0 ? 0 : 1;
}

export const scenarioCommand: Command = {
  name: 'scenario',
  summary: 'list and run attack scenarios: each defended, and as a negative control with its defence off',
  usage: `nitro-emu scenario list [--json]
nitro-emu scenario run [ID|NAME…|--all|--file PATH.yaml] [--seed N] [--json] [--junit FILE] [--ledger FILE] [--trace F.html] [--mermaid F.md] [--log|--pretty]

list   the catalogue (research/attacks.md §2); --json prints [{id, name, attacker, promises, invariants, expect}]
run    runs scenarios: each in a fresh world defended, then (expect: blocked) again with its defence off.
       A blocked scenario passes when the defended run is blocked and the checkers catch the control;
       an expect: succeeds scenario passes when its attack works. Exit 0 only if all pass.

  --all           the whole catalogue, on 2 worker threads, reported in catalogue order
  --file PATH     a YAML teaching script (see scenarios/)
  --seed N        world seed (default 1); the same seed gives the same results
  --json          print {"seed":N,"results":[{id, name, attacker, expect, outcome, control, reason}]}
  --junit FILE    write JUnit XML (one testcase per scenario)
  --ledger FILE   write every principal's observations and every checker's verdict as JSON
With one scenario, its defended run above its control (the refusal that stopped the attack marked):
${TRACE_USAGE}
${logFlagsHelp(18)}
                  (each line also names its scenario and run; runs in one process, one scenario at a time;
                  cluster scenarios do not log)`,
  args: { values: ['seed', 'junit', 'ledger', 'file', ...TRACE_FLAGS], booleans: ['json', 'all', 'log', 'pretty'], positionalsMax: SELECTED_MAX + 1 },
  async run(args, io) {
    const [sub] = args.positionals;
    if (sub === 'list') {
      if (args.positionals.length > 1 || args.values.size > 0 || ['all', 'log', 'pretty'].some((f) => args.booleans.has(f))) throw new EmuError('CLI_BAD_ARGS', 'scenario list takes only --json');
      return listScenarios(args.booleans.has('json'), io);
    }
    if (sub === 'run') return runSelected(args, io);
    throw new EmuError('CLI_BAD_ARGS', `scenario needs a subcommand: list or run${sub === undefined ? '' : ` (not ${JSON.stringify(sub)})`}`);
  },
};
