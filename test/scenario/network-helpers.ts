// What each fabric scenario's runs must show beyond blocked/leaked: the control's evidence (the check that caught it)
// and the defended run's own account (its notes), so a scenario cannot pass for the wrong reason.
import { expect } from 'vitest';
import type { ScenarioResult } from '../../src/scenario/runner.ts';
import { canaryHitsOf } from '../catalogue/helpers.ts';

interface Evidence {
  /** The verdict that must be violated in the control (and hold in the defended run). */
  readonly invariant: string;
  /** Text that verdict's detail must contain in the control. */
  readonly control: RegExp;
  /** Text the defended run's notes must contain. */
  readonly defendedNotes: RegExp;
  /** The collective's traffic crossed the fabric in the defended run (false when the mesh was refused). */
  readonly wire?: false;
}

export const EVIDENCE: Readonly<Record<string, Evidence>> = {
  'NET-01': { invariant: 'SCENARIO-CAPTURE-OPAQUE', control: /hold raw tensor bytes/, defendedNotes: /all-reduce: bit-exact/ },
  'NET-02': { invariant: 'INV-DELIVERY', control: /1 corrupt deliveries, no error/, defendedNotes: /flipped 3 packets; the receivers refused 3 on their tag/ },
  'NET-03': { invariant: 'INV-LINK', control: /accepted a replayed message/, defendedNotes: /refused [1-9]\d* as replays and [1-9]\d* as too old/ },
  'NET-04': { invariant: 'INV-LINK', control: /accepted a replayed message/, defendedNotes: /[1-9]\d* behind a newer counter; (\d+) late copies; \1 refused as replays/ },
  'NET-05': { invariant: 'INV-DELIVERY', control: /corrupt deliveries, no error/, defendedNotes: /refused 4 stand-ins on their tag; the healed run is exact.*REMOTE_UNRESPONSIVE/ },
  'NET-06': { invariant: 'INV-LINK', control: /accepted a tampered message \(injected, claiming host \d+\)/, defendedNotes: /injected 4 packets spoofing host \d+; rank 0's NIC refused 4/ },
  'NET-07': { invariant: 'SCENARIO-NO-DOWNGRADE', control: /established UNENCRYPTED/, defendedNotes: /mesh 0↔1: refused LINK_HANDSHAKE_DOWNGRADE/, wire: false },
  'NET-08': { invariant: 'INV-LINK', control: /reused \(key, IV\)/, defendedNotes: /LINK_KEY_EXHAUSTED.*[1-9]\d* rekeys/ },
  'NET-09': { invariant: 'INV-LINK', control: /accepted a reflected message/, defendedNotes: /refused: 6 as spliced.*refused: 12 as reflected/ },
  'NET-10': { invariant: 'SCENARIO-PADDING-AS-CLAIMED', control: /distinct sizes on the wire/, defendedNotes: /in 1 size classes/ },
  'CT-04': { invariant: 'SCENARIO-FOREIGN-RANK-REFUSED', control: /rank was accepted/, defendedNotes: /mesh 0↔1: refused LINK_HANDSHAKE_/, wire: false },
  'CT-05': { invariant: 'SCENARIO-NO-DATA-TO-DEBUG-PEER', control: /debug-mode rank was keyed/, defendedNotes: /mesh 0↔1: refused LINK_HANDSHAKE_DEBUG_PEER/, wire: false },
};

/** The evidence check of one scenario's result (called by eachBlockedAndCaught). */
export function expectEvidence(id: string, result: ScenarioResult, why: string): void {
  const evidence = EVIDENCE[id];
  expect(evidence, `no evidence listed for ${id}`).toBeDefined();
  const { invariant, control, defendedNotes, wire } = evidence!;
  const defended = result.runs.defended;
  const controlRun = result.runs.control!;
  const inControl = controlRun.verdicts.filter((v) => v.invariant === invariant && !v.held);
  expect(inControl.length, why).toBeGreaterThan(0);
  expect(inControl.map((v) => v.detail).join(' '), why).toMatch(control);
  expect(defended.verdicts.filter((v) => v.invariant === invariant).every((v) => v.held), why).toBe(true);
  expect(defended.notes.join(' | '), why).toMatch(defendedNotes);
  // Whatever else happened, the network never holds a canary when every defence is on.
  expect(canaryHitsOf(defended, 'network'), why).toEqual([]);
  // INV-LINK was exercised, not vacuous: the scenario filed the wire it saw.
  const link = defended.verdicts.find((v) => v.invariant === 'INV-LINK')?.detail;
  if (wire === false) {
    expect(link, why).toMatch(/vacuously/);
    // The refused handshake was checked: typed, and neither NIC kept keys for the pair.
    const failClosed = defended.verdicts.find((v) => v.invariant === 'INV-FAIL-CLOSED');
    expect(failClosed?.held, why).toBe(true);
    expect(failClosed?.detail, why).toMatch(/^[1-9]\d* integrity failures, all typed, no state changed/);
  } else {
    expect(link, why).not.toMatch(/vacuously/);
  }
}
