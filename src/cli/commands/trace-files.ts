import { EmuError } from '../../errors.ts';
import { renderHtml, renderMermaid, type TracePage } from '../../trace-view/index.ts';
import type { ParsedArgs } from '../args.ts';
import type { CommandIo } from '../command.ts';

/** The flags `demo` and `scenario run` share for the visual trace. */
export const TRACE_FLAGS = ['trace', 'mermaid'] as const;

export const TRACE_USAGE = `  --trace F.html    write the run as one self-contained HTML page: a sequence diagram (principals as lanes,
                    messages as arrows marked plaintext or ciphertext with who could read them), the ledger per
                    principal and the invariant verdicts
  --mermaid F.md    write the same sequence as a Mermaid sequenceDiagram in Markdown`;

export function wantsTrace(args: ParsedArgs): boolean {
  return TRACE_FLAGS.some((flag) => args.values.has(flag));
}

/** Checks the paths before the run, so a typo does not cost a whole run first. */
export function checkTraceArgs(args: ParsedArgs): void {
  for (const flag of TRACE_FLAGS) {
    const path = args.values.get(flag);
    if (path !== undefined && path.trim() === '') throw new EmuError('CLI_BAD_ARGS', `--${flag} needs a file path`);
  }
}

/** Writes the page and/or the Mermaid file the user asked for, and says where (on stderr: stdout may be JSON). */
export function writeTraceFiles(args: ParsedArgs, io: CommandIo, page: TracePage): void {
  const html = args.values.get('trace');
  if (html !== undefined) {
    io.writeFile(html, renderHtml(page));
    io.stderr(`trace page written to ${html}\n`);
  }
  const mermaid = args.values.get('mermaid');
  if (mermaid !== undefined) {
    io.writeFile(mermaid, renderMermaid(page));
    io.stderr(`mermaid sequence written to ${mermaid}\n`);
  }
}
