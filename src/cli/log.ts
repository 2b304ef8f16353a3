// The CLI's log lines: pino JSON from a world's trace (virtual time in "vt", integer ns), re-stamped with the
// seed and the run's fields so a line read on its own says which world and which instant it belongs to; or,
// with --pretty, one readable line per record (our own formatter: pino-pretty is not a dependency).
import { assert } from '../errors.ts';
import type { LogSink } from '../sim/index.ts';
import type { ParsedArgs } from './args.ts';

export type LogFieldValue = string | number | boolean;

export interface CliLogOptions {
  readonly seed: number;
  readonly pretty: boolean;
  /** Where finished lines go (stderr in the CLI), with the record's virtual time for a writer that orders them. */
  readonly write: (text: string, vtNs: number) => void;
  /** Added to every line after the seed, e.g. `{ scenario: 'PA-03', run: 'control' }`. */
  readonly fields?: Readonly<Record<string, LogFieldValue>>;
}

/** pino's numeric levels, for the pretty form. */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const NS_PER_MS = 1_000_000;
/** A pretty value longer than this is cut: a log line is for scanning, the JSON form keeps everything. */
const PRETTY_VALUE_CHARS_MAX = 96;
/** Bound on one incoming write (pino writes one record per call; anything larger is a bug upstream). */
const LINE_CHARS_MAX = 1 << 20;

/** ns → "12.345678 ms" (exact: integer ns shown to the nanosecond). */
export function formatVirtualMs(vtNs: number): string {
  const whole = Math.floor(vtNs / NS_PER_MS);
  const rest = String(vtNs % NS_PER_MS).padStart(6, '0');
  return `${whole}.${rest} ms`;
}

function prettyValue(value: unknown): string {
  const text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value) ?? String(value);
  return text.length > PRETTY_VALUE_CHARS_MAX ? `${text.slice(0, PRETTY_VALUE_CHARS_MAX - 1)}…` : text;
}

/** One record for people: virtual time first, then the seed, the level if not INFO, the message and the fields. */
export function formatPretty(record: Readonly<Record<string, unknown>>): string {
  const { level, vt, seed, msg, kind, ...rest } = record;
  const head = `vt ${typeof vt === 'number' ? formatVirtualMs(vt) : '?'}`.padEnd(20);
  const levelName = typeof level === 'number' && level !== 30 ? ` ${LEVEL_NAMES[level] ?? `L${level}`}` : '';
  const message = typeof msg === 'string' ? msg : typeof kind === 'string' ? kind : '';
  // kind repeats msg on trace lines; shown only when it says something else.
  const fields = Object.entries(kind === undefined || kind === msg ? rest : { kind, ...rest }).map(([k, v]) => `${k}=${prettyValue(v)}`);
  return `${head} seed ${String(seed)}${levelName}  ${message}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`;
}

/** The JSON form: level, vt and seed lead, then the run's fields, then the record's own. */
function stamp(record: Readonly<Record<string, unknown>>, options: CliLogOptions): Record<string, unknown> {
  const { level, vt, ...rest } = record;
  return { level, vt, seed: options.seed, ...options.fields, ...rest };
}

function emit(record: Record<string, unknown>, options: CliLogOptions): void {
  options.write(`${options.pretty ? formatPretty(record) : JSON.stringify(record)}\n`, record['vt'] as number);
}

/** A LogSink for a world: every pino line it receives leaves stamped (or pretty). */
export function cliLogSink(options: CliLogOptions): Exclude<LogSink, string> {
  return {
    write(chunk: string) {
      assert(chunk.length <= LINE_CHARS_MAX, 'log record larger than a log line may be');
      for (const line of chunk.split('\n')) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        // The trace's pino is configured with vt as its timestamp: a line without one is a wiring bug.
        assert(typeof record['vt'] === 'number', 'a trace log line without virtual time');
        emit(stamp(record, options), options);
      }
    },
  };
}

/** A line the CLI writes itself (narration steps), with the same stamp as the world's lines. */
export function writeLogLine(options: CliLogOptions, vtNs: number, msg: string, fields: Readonly<Record<string, LogFieldValue>> = {}): void {
  assert(Number.isSafeInteger(vtNs) && vtNs >= 0, 'virtual time is a non-negative integer of ns');
  emit(stamp({ level: 30, vt: vtNs, ...fields, msg }, options), options);
}

/** The two flags as a command line gave them. */
export function logFlagsOf(args: ParsedArgs): { readonly log: boolean; readonly pretty: boolean } {
  return { log: args.booleans.has('log'), pretty: args.booleans.has('pretty') };
}

/** `--log` / `--pretty` → the sink options, or undefined when the command should not log. */
export function logOptionsFrom(
  flags: { readonly log: boolean; readonly pretty: boolean },
  seed: number,
  write: CliLogOptions['write'],
  fields?: Readonly<Record<string, LogFieldValue>>,
): CliLogOptions | undefined {
  if (!flags.log && !flags.pretty) return undefined;
  return { seed, pretty: flags.pretty, write, ...(fields === undefined ? {} : { fields }) };
}

/** The help text of the two flags, shared by every command that logs, aligned to the command's description column. */
export function logFlagsHelp(column: number): string {
  const flag = (name: string) => `  ${name}`.padEnd(column);
  const more = ' '.repeat(column);
  return [
    `${flag('--log')}write the trace as pino JSON lines on stderr; every line has "vt" (virtual time,`,
    `${more}integer ns) and "seed"`,
    `${flag('--pretty')}the same lines for people (virtual time in ms, seed, message, fields); implies --log`,
  ].join('\n');
}
