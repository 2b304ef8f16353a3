import type { CommandIo } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';
import { processIo } from '../../src/cli/io.ts';
import type { LineInput } from '../../src/cli/stdin.ts';

export interface GuidedCliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout, stderr (prefixed 'stderr:') and the pauses in the order they happened ('<wait>' where the CLI asked for a line). */
  readonly events: readonly string[];
}

/** Runs the CLI in-process with captured output and a stdin of our making (a terminal or not). */
export async function runCli(argv: string[], stdin?: LineInput): Promise<GuidedCliRun> {
  let stdout = '';
  let stderr = '';
  const events: string[] = [];
  const io: CommandIo = {
    ...processIo(),
    stdout: (t) => {
      stdout += t;
      events.push(t);
    },
    stderr: (t) => {
      stderr += t;
      events.push(`stderr:${t}`);
    },
    stderrIsTty: false,
    ...(stdin === undefined ? { stdin: { isTty: false, readLine: () => Promise.reject(new Error('read from a stdin that is not a terminal')) } } : { stdin }),
  };
  const wrapped = io.stdin;
  const recording: CommandIo = wrapped === undefined ? io : { ...io, stdin: { isTty: wrapped.isTty, readLine: () => (events.push('<wait>'), wrapped.readLine()) } };
  const code = await main(argv, recording);
  return { code, stdout, stderr, events };
}

/** The fixed epoch of worlds that must reproduce (2026-01-01T00:00:00Z). */
export const EPOCH_MS = Date.UTC(2026, 0, 1);
