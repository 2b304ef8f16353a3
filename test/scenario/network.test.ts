import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/scenario/catalogue/index.ts';
import { scenarios } from '../../src/scenario/catalogue/network.ts';
import { mergedLedgerSummary, mergedObservations, runClusterCheckers } from '../../src/scenario/cluster-run.ts';
import { createContext, emptyRecords, runScenario } from '../../src/scenario/index.ts';
import { createCluster } from '../../src/cluster/index.ts';
import { canaryHitsOf, eachBlockedAndCaught } from '../catalogue/helpers.ts';
import { EVIDENCE, expectEvidence } from './network-helpers.ts';

// The fabric group, first half (NET-01…NET-05) and the runner's cluster plumbing; network-active.test.ts has the rest.
const FIRST = ['NET-01', 'NET-02', 'NET-03', 'NET-04', 'NET-05'];

describe('catalogue: the fabric (NET, CT-04, CT-05)', () => {
  it('every NET row and CT-04/CT-05 is in the catalogue once, between the physical and accelerator groups', () => {
    const ids = CATALOGUE.map((s) => s.id);
    const expected = ['NET-01', 'NET-02', 'NET-03', 'NET-04', 'NET-05', 'NET-06', 'NET-07', 'NET-08', 'NET-09', 'NET-10', 'CT-04', 'CT-05'];
    expect(scenarios.map((s) => s.id)).toEqual(expected);
    for (const id of expected) expect(ids.filter((x) => x === id), id).toHaveLength(1);
    expect(ids.indexOf('NET-01')).toBeLessThan(ids.indexOf('DEV-01'));
    expect(Object.keys(EVIDENCE).sort()).toEqual([...expected].sort());
    for (const s of scenarios) {
      expect(s.cluster, s.id).toBeDefined();
      expect(s.defence, s.id).toMatch(/^link/);
      expect(s.attacker, s.id).toBe(s.id.startsWith('CT') ? 'co-tenant' : 'network');
      expect(s.promises, s.id).toContain('P3');
    }
  });

  it('a cluster run: ctx.world is rank 0’s, ctx.cluster is set, only the network attacker gets the fabric handle', async () => {
    const cluster = createCluster({ seed: 4, hosts: 2, accelerators: { flavour: 'gpu', count: 0 } });
    const world = cluster.members[0]!.world;
    const network = createContext(world, { attacker: 'network' }, true, cluster);
    expect(network.ctx.cluster).toBe(cluster);
    expect(network.ctx.attacker.network).toBe(cluster.network);
    expect(network.ctx.world).toBe(world);
    const coTenant = createContext(world, { attacker: 'co-tenant' }, true, cluster);
    expect(coTenant.ctx.attacker.network).toBeUndefined();
    expect(coTenant.ctx.attacker['co-tenant']).toBeDefined();
    // A single-host world never hands out a fabric.
    expect(createContext(world, { attacker: 'network' }, true).ctx.attacker.network).toBeUndefined();
    // Loot is filed under the attacker in rank 0's world, where the checkers look.
    network.ctx.loot('test', 'bytes');
    expect(world.ledger.of('network').map((o) => o.channel)).toContain('test');
  });

  it('the global checkers cover every host: a leak on rank 1’s host alone is caught and named', () => {
    const cluster = createCluster({ seed: 4, hosts: 2, accelerators: { flavour: 'gpu', count: 0 } });
    const worlds = cluster.members.map((m) => m.world);
    const clean = runClusterCheckers(worlds, emptyRecords());
    expect(clean.verdicts.find((v) => v.invariant === 'INV-NO-CANARY')?.held).toBe(true);
    const secret = new TextEncoder().encode('rank-1-only-canary-bytes');
    worlds[1]!.ledger.plantCanary('rank1-secret', 'client', secret);
    worlds[1]!.observe('network', 'tap', secret);
    const leaked = runClusterCheckers(worlds, emptyRecords());
    const verdict = leaked.verdicts.find((v) => v.invariant === 'INV-NO-CANARY')!;
    expect(verdict.held).toBe(false);
    expect(verdict.detail).toMatch(/^host 1: rank1-secret/);
    // One verdict per invariant, in the checkers' order, whatever the number of hosts.
    expect(new Set(leaked.verdicts.map((v) => v.invariant)).size).toBe(leaked.verdicts.length);
  });

  it('a report counts the shared network once and each host’s parent on its own', () => {
    const cluster = createCluster({ seed: 4, hosts: 2, accelerators: { flavour: 'gpu', count: 0 } });
    const worlds = cluster.members.map((m) => m.world);
    // What the cluster does for one tapped frame: the same observation in every host's ledger.
    for (const world of worlds) world.observe('network', 'fabric tap h0->leaf0', 'frame');
    worlds[0]!.observe('parent-admin', 'efa h0 tx', 'frame');
    worlds[1]!.observe('parent-admin', 'efa h1 tx', 'frame');
    const merged = mergedObservations(worlds);
    expect(merged.filter((o) => o.principal === 'network')).toHaveLength(1);
    expect(merged.filter((o) => o.principal === 'parent-admin').map((o) => o.channel)).toEqual(['efa h0 tx', 'efa h1 tx']);
    const summary = mergedLedgerSummary(worlds);
    expect(summary['network']?.observations).toBe(1);
    expect(summary['parent-admin']?.observations).toBe(2);
  });

  it('reproduces: the same seed gives the same digests and verdicts (NET-02, defended and control)', async () => {
    const net02 = scenarios.find((s) => s.id === 'NET-02')!;
    const [a, b] = [await runScenario(net02, { seed: 3 }), await runScenario(net02, { seed: 3 })];
    expect(b.runs.defended.digest).toBe(a.runs.defended.digest);
    expect(b.runs.control?.digest).toBe(a.runs.control?.digest);
    expect(b.runs.control?.verdicts).toEqual(a.runs.control?.verdicts);
    // The digest covers the fabric: the control's traffic (plaintext, flips delivered) is another trace.
    expect(a.runs.control?.digest).not.toBe(a.runs.defended.digest);
    expect(canaryHitsOf(a.runs.control!, 'network').length).toBeGreaterThan(0);
  }, 60_000);

  eachBlockedAndCaught(
    scenarios.filter((s) => FIRST.includes(s.id)),
    (scenario, result, why) => expectEvidence(scenario.id, result, why),
  );
});
