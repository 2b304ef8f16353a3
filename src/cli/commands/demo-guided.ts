// `nitro-emu demo --list` and `nitro-emu demo <name>`: the guided teaching demos of src/guided, narrated for a
// newcomer, optionally pausing for Enter between steps, as JSON, and with the world's log lines.
import { EmuError } from '../../errors.ts';
import {
  GUIDED_DEMOS,
  listGuidedDemos,
  renderHeader,
  renderStep,
  renderVerdict,
  runGuidedDemo,
  type GuidedResult,
} from '../../guided/index.ts';
import { CATALOGUE } from '../../scenario/catalogue/index.ts';
import { parseEpoch } from '../../sim/index.ts';
import { optionalInteger, type ParsedArgs } from '../args.ts';
import { printJson, type CommandIo } from '../command.ts';
import { cliLogSink, logFlagsOf, logOptionsFrom, writeLogLine } from '../log.ts';

/** Flags of the plain demo that a named demo does not take: each named demo builds its own world. */
const PLAIN_DEMO_FLAGS = ['defence-off', 'device', 'devices', 'hosts', 'debug-ranks', 'foreign-ranks', 'debug-mode'] as const;

export const GUIDED_USAGE = `nitro-emu demo --list [--json]
nitro-emu demo NAME [--seed N] [--epoch MS|ISO|now] [--control] [--pause] [--json] [--log|--pretty]

  --list            the named demos (id and one-line title)
  NAME              run one named demo, narrated step by step: what happens, who sees what, why it is safe or
                    why it was stopped; exit 0 when it ends as the lesson says it should, 1 when it does not
  --control         the same demo with its defence switched off, to see what the defence prevents
  --pause           wait for Enter between steps; only when stdin is a terminal: with a pipe or a file on stdin
                    the demo never waits (it says so on stderr and runs straight through)
  --json            print the result and its steps as JSON on stdout (no narration, no pausing)`;

function printList(json: boolean, io: CommandIo): void {
  const list = listGuidedDemos();
  if (json) {
    printJson(io, list);
    return;
  }
  const width = Math.max(...list.map((d) => d.id.length));
  io.stdout(`Guided demos (run one with: nitro-emu demo NAME [--control] [--pause]):\n`);
  for (const d of list) io.stdout(`  ${d.id.padEnd(width)}  ${d.title}\n`);
}

/** Bound on log lines held back for narration. */
const HELD_LINES_MAX = 100_000;

/** Log lines held back while narrating, so each step follows the lines of what led up to it. */
interface HeldLines {
  readonly lines: Array<{ readonly vtNs: number; readonly text: string }>;
}

/** Writes (in virtual-time order, stable) the held lines up to vtNs. */
function release(held: HeldLines | undefined, vtNs: number, io: CommandIo): void {
  if (held === undefined) return;
  held.lines.sort((a, b) => a.vtNs - b.vtNs);
  const upTo = held.lines.findIndex((l) => l.vtNs > vtNs);
  const due = held.lines.splice(0, upTo === -1 ? held.lines.length : upTo);
  for (const line of due) io.stderr(line.text);
}

/** Prints the steps, waiting for Enter between them when asked and a person is at the terminal. */
async function present(result: GuidedResult, pause: boolean, io: CommandIo, held: HeldLines | undefined): Promise<void> {
  io.stdout(renderHeader(result));
  const total = result.steps.length;
  for (const step of result.steps) {
    release(held, step.vtNs, io);
    io.stdout(`${renderStep(step, total)}\n`);
    if (pause && step.step < total) {
      io.stdout('  … press Enter for the next step\n');
      const line = await io.stdin!.readLine();
      // End of input (Ctrl-D): the person has left; finish without waiting again.
      if (line === undefined) pause = false;
    }
  }
  release(held, Number.MAX_SAFE_INTEGER, io);
  io.stdout(renderVerdict(result));
}

export async function runGuidedCommand(args: ParsedArgs, io: CommandIo): Promise<number> {
  const json = args.booleans.has('json');
  const [name, ...extra] = args.positionals;
  if (extra.length > 0) throw new EmuError('CLI_BAD_ARGS', `one demo at a time, got ${JSON.stringify(args.positionals)}`);
  const refused = PLAIN_DEMO_FLAGS.filter((f) => args.values.has(f) || args.booleans.has(f));
  if (refused.length > 0) throw new EmuError('CLI_BAD_ARGS', `--${refused.join(', --')} belong to the plain demo; a named demo builds its own world`);
  if (args.booleans.has('list')) {
    if (name !== undefined || args.values.size > 0 || ['control', 'pause', 'log', 'pretty'].some((f) => args.booleans.has(f))) {
      throw new EmuError('CLI_BAD_ARGS', 'demo --list takes only --json');
    }
    printList(json, io);
    return 0;
  }
  if (name === undefined || !GUIDED_DEMOS.some((d) => d.id === name)) {
    io.stderr(`nitro-emu demo: no demo ${JSON.stringify(name ?? '')}\n\n`);
    printList(false, { ...io, stdout: io.stderr });
    return 2;
  }
  const seed = optionalInteger(args, 'seed', 1);
  const epochMs = parseEpoch(args.values.get('epoch'), 'fixed');
  const control = args.booleans.has('control');
  // Narrated, the log lines wait for the step they lead up to; as JSON, they go out as they come.
  const held: HeldLines | undefined = json ? undefined : { lines: [] };
  const write =
    held === undefined
      ? io.stderr
      : (text: string, vtNs: number) => {
          // Past the bound the lines go out as they come (in order, after those held): a demo's log is small.
          if (held.lines.length < HELD_LINES_MAX) held.lines.push({ vtNs, text });
          else {
            release(held, Number.MAX_SAFE_INTEGER, io);
            io.stderr(text);
          }
        };
  const logging = logOptionsFrom(logFlagsOf(args), seed, write, { demo: name, run: control ? 'control' : 'defended' });
  let pause = args.booleans.has('pause') && !json;
  if (pause && io.stdin?.isTty !== true) {
    io.stderr('--pause: stdin is not a terminal, so the demo runs without pausing\n');
    pause = false;
  }
  const result = await runGuidedDemo(
    name,
    { seed, epochMs, control, catalogue: CATALOGUE, ...(logging === undefined ? {} : { log: cliLogSink(logging) }) },
    logging === undefined ? undefined : (step) => writeLogLine(logging, step.vtNs, step.title, { kind: 'guided.step', step: step.step }),
  );
  if (json) printJson(io, result);
  else await present(result, pause, io, logging === undefined ? undefined : held);
  return result.asExpected ? 0 : 1;
}
