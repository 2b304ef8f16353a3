import { PRINCIPALS, TCB, type Observation, type Principal } from '../scenario/index.ts';
import type { TraceEvent } from '../sim/index.ts';
import type { MessageEvent } from '../world/index.ts';
import { dissectMessages, shortChannel } from './dissect.ts';
import type { LedgerRow, TraceArrow, TraceMark, TraceMessage, TraceProbe, TraceRefusal, TraceRun, VerdictRow } from './types.ts';

/** Arrows one diagram draws; past this the page says how many messages it left out. */
export const ARROWS_MAX = 120;
/** Ledger rows per run (one per principal and channel). */
export const LEDGER_ROWS_MAX = 400;
/** Flow steps or notes drawn as dividers. */
export const MARKS_MAX = 40;

/** Lanes left to right: who starts the flow, the relays in the middle, the TCB, then the bystanders. */
const LANE_ORDER: readonly Principal[] = ['owner', 'client', 'parent-admin', 'enclave', 'kms', 'device', 'network', 'operator', 'co-tenant'];

/** Everything one run leaves that the page draws. */
export interface RunCapture {
  readonly heading: string;
  readonly summary: string;
  readonly messages: readonly MessageEvent[];
  readonly observations: readonly Observation[];
  /** Whose secret each canary is (the ledger's canary set). */
  readonly canaryOwners: ReadonlyMap<string, Principal>;
  readonly verdicts: readonly VerdictRow[];
  readonly marks?: readonly TraceMark[];
  readonly refusal?: TraceRefusal | null;
  /** The run's simulator trace: refusals in it become stops in the diagram. */
  readonly trace?: readonly TraceEvent[];
  readonly notes?: readonly string[];
}

/** Probes (a principal's own reads) drawn per run. */
export const PROBES_MAX = 60;
/** Stops drawn per run, and notes listed. */
export const STOPS_MAX = 20;
export const NOTES_MAX = 40;

/**
 * Refusals in a run's trace: an event with an error `code` whose `outcome` is not ok (a KMS denial), or one whose
 * kind says it failed or was refused (the enclave app stopping, a secure channel refused).
 */
export function stopsFromTrace(events: readonly TraceEvent[]): TraceMark[] {
  const stops: TraceMark[] = [];
  for (const e of events) {
    if (stops.length >= STOPS_MAX) break;
    const code = e.fields['code'];
    const failedKind = /(refused|denied|failed)$/.test(e.kind);
    const failedCall = typeof code === 'string' && e.fields['outcome'] !== undefined && e.fields['outcome'] !== 'ok';
    if (!failedKind && !failedCall) continue;
    const what = typeof e.fields['operation'] === 'string' ? ` ${e.fields['operation']}` : '';
    const message = typeof e.fields['message'] === 'string' ? ` — ${e.fields['message']}` : '';
    stops.push({ timeNs: e.timeNs, title: `✕ ${e.kind}${what}: ${typeof code === 'string' ? code : typeof e.fields['type'] === 'string' ? e.fields['type'] : 'refused'}${message}` });
  }
  return stops;
}

export function buildRun(capture: RunCapture): TraceRun {
  // The data key's holders by design (the owner made it, KMS keeps it, the attested enclave gets it), and
  // anyone else whose ledger shows its canary: then the weights on the disk are theirs to read too.
  const leakedTo = capture.observations.filter((o) => o.canaryHits.some((h) => h.canary === 'data-key')).map((o) => o.principal);
  const dataKeyHolders = [...new Set<Principal>(['owner', 'kms', 'enclave', ...leakedTo])];
  const messages = dissectMessages(capture.messages, { observations: capture.observations, canaryOwners: capture.canaryOwners, dataKeyHolders });
  const grouped = compressRounds(groupArrows(messages));
  const arrows = grouped.slice(0, ARROWS_MAX);
  const drawn = arrows.reduce((sum, a) => sum + a.count, 0);
  const inMessages = new Set(capture.messages.map((m) => m.observation.seq));
  const probes = probesOf(capture.observations.filter((o) => !inMessages.has(o.seq)), capture.canaryOwners);
  const present = new Set<Principal>([...messages.flatMap((m) => [m.from, m.to]), ...capture.observations.map((o) => o.principal)]);
  return {
    heading: capture.heading,
    summary: capture.summary,
    lanes: LANE_ORDER.filter((p) => present.has(p)).concat(PRINCIPALS.filter((p) => present.has(p) && !LANE_ORDER.includes(p))),
    arrows,
    probes: probes.slice(0, PROBES_MAX),
    omittedProbes: probes.slice(PROBES_MAX).reduce((sum, p) => sum + p.count, 0),
    messageCount: messages.length,
    omittedMessages: messages.length - drawn,
    marks: mergeMarks(capture.marks ?? []).slice(0, MARKS_MAX),
    stops: stopsFromTrace(capture.trace ?? []),
    notes: (capture.notes ?? []).slice(0, NOTES_MAX),
    ledger: ledgerRows(capture.observations, capture.canaryOwners),
    verdicts: capture.verdicts,
    refusal: capture.refusal ?? null,
  };
}

/** Consecutive messages alike in ends, channel, protection, readers and kind become one arrow with a count. */
export function groupArrows(messages: readonly TraceMessage[]): TraceArrow[] {
  const arrows: TraceArrow[] = [];
  let last: { arrow: TraceArrow; key: string } | undefined;
  for (const m of messages) {
    const key = arrowKey(m);
    if (last !== undefined && last.key === key) {
      last.arrow = { ...last.arrow, count: last.arrow.count + 1, bytes: last.arrow.bytes + m.size };
      arrows[arrows.length - 1] = last.arrow;
      continue;
    }
    const arrow: TraceArrow = {
      firstSeq: m.seq,
      observationSeq: m.observationSeq,
      timeNs: m.timeNs,
      from: m.from,
      to: m.to,
      channel: m.channel,
      protection: m.protection,
      readableBy: m.readableBy,
      what: m.what,
      count: 1,
      bytes: m.size,
      canaries: m.canaries,
      leak: m.leak,
      ...(m.observedBy === undefined ? {} : { observedBy: m.observedBy }),
    };
    arrows.push(arrow);
    last = { arrow, key };
  }
  return arrows;
}

function arrowKey(m: TraceMessage | TraceArrow): string {
  return [m.from, m.to, m.channel, m.protection, m.readableBy.join(','), m.what, m.canaries.join(','), String(m.leak), m.observedBy ?? ''].join('|');
}

/** Longest block of arrows folded when it repeats back to back (a request, a hop, a reply per token). */
const ROUND_ARROWS_MAX = 6;

/**
 * Folds a block of 2…ROUND_ARROWS_MAX arrows that repeats back to back into one block whose arrows say how many
 * rounds they stand for; order inside a round is kept, so the diagram still reads in time order per round.
 */
export function compressRounds(arrows: readonly TraceArrow[]): TraceArrow[] {
  const out: TraceArrow[] = [];
  let i = 0;
  while (i < arrows.length) {
    let folded = false;
    for (let size = 2; size <= ROUND_ARROWS_MAX && i + 2 * size <= arrows.length; size++) {
      const block = arrows.slice(i, i + size);
      if (block.some((a) => a.count !== 1)) break;
      let rounds = 1;
      while (i + (rounds + 1) * size <= arrows.length && block.every((a, j) => arrowKey(arrows[i + rounds * size + j]!) === arrowKey(a) && arrows[i + rounds * size + j]!.count === 1)) rounds++;
      if (rounds < 2) continue;
      for (let j = 0; j < size; j++) {
        let bytes = 0;
        for (let r = 0; r < rounds; r++) bytes += arrows[i + r * size + j]!.bytes;
        out.push({ ...block[j]!, count: rounds, rounds, bytes });
      }
      i += rounds * size;
      folded = true;
      break;
    }
    if (!folded) out.push(arrows[i++]!);
  }
  return out;
}

/** Steps that ended at the same virtual time happened in one phase: one divider names them all. */
export function mergeMarks(marks: readonly TraceMark[]): TraceMark[] {
  const out: TraceMark[] = [];
  for (const mark of marks) {
    const last = out[out.length - 1];
    if (last !== undefined && last.timeNs === mark.timeNs) out[out.length - 1] = { timeNs: last.timeNs, title: `${last.title} · ${mark.title}` };
    else out.push(mark);
  }
  return out;
}

/** A principal's own reads, consecutive alike ones (same principal and channel) as one probe. */
export function probesOf(observations: readonly Observation[], canaryOwners: ReadonlyMap<string, Principal>): TraceProbe[] {
  const probes: TraceProbe[] = [];
  for (const o of observations) {
    const channel = shortChannel(o.channel);
    const canaries = [...new Set(o.canaryHits.map((h) => h.canary))].sort();
    const leak = !TCB.has(o.principal) && canaries.some((c) => canaryOwners.get(c) !== o.principal);
    const last = probes[probes.length - 1];
    if (last !== undefined && last.principal === o.principal && last.channel === channel && last.leak === leak && last.canaries.join() === canaries.join()) {
      probes[probes.length - 1] = { ...last, count: last.count + 1, bytes: last.bytes + o.size };
      continue;
    }
    probes.push({ observationSeq: o.seq, timeNs: o.timeNs, principal: o.principal, channel, count: 1, bytes: o.size, canaries, leak });
  }
  return probes;
}

/** What each principal obtained, per channel: items, bytes, canaries seen and which of them it should not have. */
export function ledgerRows(observations: readonly Observation[], canaryOwners: ReadonlyMap<string, Principal>): LedgerRow[] {
  const rows = new Map<string, { principal: Principal; channel: string; items: number; bytes: number; canaries: Set<string> }>();
  for (const o of observations) {
    const channel = shortChannel(o.channel);
    const key = `${o.principal}\u0000${channel}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { principal: o.principal, channel, items: 0, bytes: 0, canaries: new Set() };
      rows.set(key, row);
    }
    row.items++;
    row.bytes += o.size;
    for (const hit of o.canaryHits) row.canaries.add(hit.canary);
  }
  const rank = (p: Principal) => LANE_ORDER.indexOf(p);
  return [...rows.values()]
    .sort((a, b) => rank(a.principal) - rank(b.principal) || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0))
    .slice(0, LEDGER_ROWS_MAX)
    .map((r) => {
      const canaries = [...r.canaries].sort();
      const leaked = TCB.has(r.principal) ? [] : canaries.filter((c) => canaryOwners.get(c) !== r.principal);
      return { principal: r.principal, channel: r.channel, items: r.items, bytes: r.bytes, canaries, leaked };
    });
}
