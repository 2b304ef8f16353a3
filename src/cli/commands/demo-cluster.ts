// `nitro-emu demo --hosts N` (N ≥ 2): the multi-host flow of src/cluster, narrated, with the network principal
// tapping every host's uplink so the verdict covers what the fabric carried as well as what the parents saw.
import { createCluster, type NitroClusterReport } from '../../cluster/index.ts';
import { sha256Hex } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { AcceleratorFlavour } from '../../accelerator/index.ts';
import type { WorldDefences } from '../../world/index.ts';
import { printJson, type CommandIo } from '../command.ts';

export interface ClusterDemoOptions {
  readonly seed: number;
  readonly epochMs: number;
  readonly hosts: number;
  readonly defences: Partial<WorldDefences>;
  readonly accelerators: { readonly flavour: AcceleratorFlavour; readonly count: number };
  readonly debugRanks: readonly number[];
  readonly foreignImageRanks: readonly number[];
  readonly json: boolean;
}

/** "1,3" → [1, 3]; anything else is a usage error. */
export function parseRanks(flag: string, text: string | undefined): number[] {
  if (text === undefined) return [];
  const ranks = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (ranks.length > 64 || !ranks.every((r) => /^\d{1,3}$/.test(r))) throw new EmuError('CLI_BAD_ARGS', `--${flag} takes ranks like 1,2, got ${JSON.stringify(text)}`);
  return ranks.map(Number);
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The report as JSON: digests in hex where the report holds tensors. */
export function clusterReportJson(report: NitroClusterReport): Record<string, unknown> {
  const { outputs, reference, ...allReduce } = report.allReduce;
  return {
    ...report,
    allReduce: { ...allReduce, outputSha256: outputs.map((o) => sha256Hex(bytesOf(o))), referenceSha256: sha256Hex(bytesOf(reference)) },
  };
}

export async function runClusterDemo(options: ClusterDemoOptions, io: CommandIo): Promise<number> {
  const narrate = (text: string) => (options.json ? io.stderr(text) : io.stdout(text));
  const cluster = createCluster({
    seed: options.seed,
    hosts: options.hosts,
    epochMs: options.epochMs,
    defences: options.defences,
    accelerators: options.accelerators,
    debugRanks: options.debugRanks,
    foreignImageRanks: options.foreignImageRanks,
  });
  for (let rank = 0; rank < options.hosts; rank++) cluster.network.tap(cluster.network.uplinkOf(rank), () => undefined);
  let step = 0;
  const report = (await cluster.run((title, detail) => {
    step++;
    narrate(`${String(step).padStart(2)}. ${title}\n    ${detail}\n\n`);
  })) as NitroClusterReport;

  narrate('The mesh (every pair attested with its enclaves\' own NSM documents):\n');
  for (const link of report.mesh.links) {
    narrate(`  rank ${link.a} ↔ rank ${link.b}  ${link.ok ? `ok      ${link.suite}${link.encrypted ? '' : '  NOT ENCRYPTING (negative control)'}` : `REFUSED ${link.code}`}\n`);
  }
  const ok = report.allReduce.bitExact && report.leaks.length === 0;
  narrate(`\nAll-reduce: ${report.allReduce.bitExact ? 'bit-exact' : 'NOT bit-exact'} against the single-host reference`);
  narrate(report.outputSha256 === '' ? ' (no output)\n' : `; output sha256 ${report.outputSha256}\n`);
  narrate(`Leak check (parents' EFA devices and the network's taps): ${report.leaks.length === 0 ? 'no canary' : `LEAKS\n${report.leaks.map((l) => `  ${l}`).join('\n')}`}\n`);
  const verdict = report.leaks.length > 0 ? 'VIOLATED (plaintext on the fabric)' : ok ? 'held' : 'FAILED (no bit-exact result)';
  narrate(`Verdict: ${verdict}; fabric digest ${report.fabricDigest}\n`);
  if (options.json) printJson(io, clusterReportJson(report));
  return ok ? 0 : 1;
}
