import { EmuError } from '../errors.ts';

export interface ArgSpec {
  /** Flags that take a value (`--seed 3` or `--seed=3`). */
  readonly values?: readonly string[];
  /** Flags that are present or absent. */
  readonly booleans?: readonly string[];
  readonly positionalsMax?: number;
}

export interface ParsedArgs {
  readonly values: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** Strict: an unknown flag, a missing value or a repeated flag is a CLI_BAD_ARGS error, never silently ignored. */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const valueFlags = new Set(spec.values ?? []);
  const booleanFlags = new Set(spec.booleans ?? []);
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (valueFlags.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new EmuError('CLI_BAD_ARGS', `--${name} needs a value`);
      if (values.has(name)) throw new EmuError('CLI_BAD_ARGS', `--${name} given twice`);
      values.set(name, value);
    } else if (booleanFlags.has(name) && eq === -1) {
      booleans.add(name);
    } else {
      throw new EmuError('CLI_BAD_ARGS', `unknown option --${name}`);
    }
  }
  if (positionals.length > (spec.positionalsMax ?? 0)) {
    throw new EmuError('CLI_BAD_ARGS', `unexpected argument ${JSON.stringify(positionals[spec.positionalsMax ?? 0])}`);
  }
  return { values, booleans, positionals };
}

export function requireValue(args: ParsedArgs, name: string): string {
  const value = args.values.get(name);
  if (value === undefined) throw new EmuError('CLI_BAD_ARGS', `--${name} is required`);
  return value;
}

export function optionalInteger(args: ParsedArgs, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = args.values.get(name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) > max) {
    throw new EmuError('CLI_BAD_ARGS', `--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
