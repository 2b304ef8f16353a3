import { beforeAll, describe, expect, it } from 'vitest';
import { HANDSHAKE_FRAME_TAG, createCluster, type NitroCluster, type NitroClusterReport } from '../../src/cluster/index.ts';
import { parseTransformerFile, referenceGenerate } from '../../src/accelerator/index.ts';
import { concatBytes, indexOfBytes, utf8 } from '../../src/crypto/index.ts';
import { promptTokens } from '../../src/enclave/index.ts';
import { isSealedHeader, ringAllReduceReference, ringChunks, type Packet } from '../../src/efa/index.ts';
import { findLeaks } from '../../src/scenario/index.ts';

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Rank r's own ring chunk: the bytes that cross the fabric raw in the first step when nothing seals them. */
function ownChunkBytes(inputs: readonly Float32Array[], rank: number): Uint8Array {
  const chunk = ringChunks(inputs[0]!.length, inputs.length)[rank]!;
  return new Uint8Array(inputs[rank]!.buffer.slice(chunk.start * 4, chunk.end * 4));
}

/** The report without typed arrays, as the CLI prints it. */
function plain(report: NitroClusterReport): unknown {
  return JSON.parse(JSON.stringify({ ...report, allReduce: { ...report.allReduce, outputs: report.allReduce.outputs.map((o) => [...bits(o)]), reference: [...bits(report.allReduce.reference)] } }));
}

function capture(cluster: NitroCluster, rank: number): Packet[] {
  const seen: Packet[] = [];
  cluster.network.tap(cluster.network.uplinkOf(rank), (packet) => seen.push(packet));
  return seen;
}

describe('two hosts, every defence on', () => {
  let a: NitroCluster;
  let b: NitroCluster;
  let reportA: NitroClusterReport;
  let reportB: NitroClusterReport;
  let tapped: Packet[];
  let inputs: Float32Array[];

  beforeAll(async () => {
    a = createCluster({ seed: 5, hosts: 2 });
    tapped = capture(a, 0);
    reportA = (await a.run()) as NitroClusterReport;
    inputs = a.local!.tensors;
    b = createCluster({ seed: 5, hosts: 2 });
    capture(b, 0);
    reportB = (await b.run()) as NitroClusterReport;
  }, 60_000);

  it('launches both enclaves from the approved image under one Nitro root and attests the pair', () => {
    expect(reportA.ranks.map((r) => [r.ready, r.image, r.debugMode])).toEqual([[true, 'approved', false], [true, 'approved', false]]);
    expect(reportA.ranks[0]!.pcr0).toBe(a.hosts[0]!.world.approvedPcr0);
    expect(a.hosts[0]!.world.host.nitro.rootCertificateDer).toEqual(a.hosts[1]!.world.host.nitro.rootCertificateDer);
    expect(a.hosts[0]!.world.options.seed).not.toBe(a.hosts[1]!.world.options.seed);
    expect(reportA.mesh).toEqual({ ok: true, links: [{ a: 0, b: 1, ok: true, suite: 'P384-AES256GCM-SHA384', encrypted: true }] });
    // Ring neighbours sit on different leaves: the two hosts' uplinks go to leaf0 and leaf1.
    const names = [0, 1].map((r) => a.network.links()[a.network.uplinkOf(r)]!.name);
    expect(names).toEqual([expect.stringMatching(/->leaf0$/), expect.stringMatching(/->leaf1$/)]);
  });

  it("takes each local tensor from the enclave's inference on its devices: the tokens the CPU reference generates, / 255", () => {
    expect(reportA.local).toEqual({ source: 'device-tokens', samplesPerRank: 1, elements: 12 });
    for (const host of a.hosts) {
      const file = host.deployment!.modelFile;
      const model = parseTransformerFile(file);
      const prompt = concatBytes(utf8(`rank ${host.rank} sample 0: `), host.deployment!.prompt);
      const tokens = referenceGenerate(model, file, promptTokens(prompt, model.maxSeq, 12), 12);
      expect([...inputs[host.rank]!]).toEqual(tokens.map((t) => Math.fround(t / 255)));
    }
    expect(reportA.inputSha256[0]).not.toBe(reportA.inputSha256[1]);
  });

  it('all-reduces over sealed SRD to the single-host reference, bit for bit', () => {
    const { allReduce } = reportA;
    expect(allReduce.errors).toEqual([]);
    expect(allReduce.bitExact).toBe(true);
    const reference = ringAllReduceReference(inputs);
    for (const out of allReduce.outputs) expect(bits(out)).toEqual(bits(reference));
    expect(allReduce.linkStats['sealed']).toBeGreaterThan(0);
    expect(allReduce.linkStats['opened']).toBe(allReduce.linkStats['sealed']);
    expect(allReduce.linkStats['rejected']).toBe(0);
    expect(allReduce.durationPs).toBeGreaterThan(0);
    expect(reportA.outputSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows the parents and the network only ciphertext: the tap has frames, no canary, not the raw chunk', () => {
    expect(tapped.length).toBeGreaterThan(0);
    expect(reportA.seen.every((s) => s.parentFrames > 0 && s.networkFrames > 0)).toBe(true);
    expect(reportA.leaks).toEqual([]);
    const chunk = ownChunkBytes(inputs, 0);
    for (const packet of tapped) if (packet.payload !== undefined) expect(indexOfBytes(packet.payload, chunk)).toBe(-1);
    // The canary exists, so the empty leak list is a finding and not an absence of checks.
    expect(a.hosts[0]!.world.canaries.all.map((c) => c.name)).toEqual(expect.arrayContaining(['rank0-local-tensor', 'rank1-local-tensor']));
  });

  it('pads every sealed data frame to one size class (linkPadding); with padding off the sizes show', async () => {
    const sealedDataSizes = (packets: readonly Packet[]) =>
      new Set(packets.filter((p) => p.kind === 'data' && isSealedHeader(p.header)).map((p) => p.payload!.length));
    expect(sealedDataSizes(tapped).size).toBe(1);
    const control = createCluster({ seed: 5, hosts: 2, accelerators: { flavour: 'gpu', count: 0 }, defences: { linkPadding: false } });
    const seen = capture(control, 0);
    expect((await control.run()).allReduce.bitExact).toBe(true);
    expect(sealedDataSizes(seen).size).toBeGreaterThan(1);
  }, 30_000);

  it('is deterministic: the same seed gives the same report', () => {
    expect(plain(reportB)).toEqual(plain(reportA));
    expect(reportB.fabricDigest).toBe(reportA.fabricDigest);
  });

  it('survives a man in the middle that drops one frame and flips a bit of another: rejected, resent, still bit-exact', () => {
    let dataFrames = 0;
    b.network.interpose(b.network.uplinkOf(1), (packet) => {
      if (packet.kind !== 'data' || packet.payload === undefined) return [packet];
      dataFrames++;
      if (dataFrames === 1) return [];
      if (dataFrames === 2) {
        packet.payload[0] = packet.payload[0]! ^ 0x01;
        return [packet];
      }
      return [packet];
    });
    const again = b.allReduce(b.local!.tensors);
    expect(dataFrames).toBeGreaterThan(2);
    expect(again.bitExact).toBe(true);
    expect(again.linkStats['rejected.authFailed']).toBe(1);
  });

  it('drops what the network injects: a plaintext frame from a keyed peer, a stray handshake frame (counted, never delivered)', () => {
    const [h0, h1] = [b.hosts[0]!.host, b.hosts[1]!.host];
    const before = b.protectorOf(0).stats();
    const shakes = b.handshakeStats();
    b.network.inject({ src: h1, dst: h0, entropy: 7, kind: 'data', wireBytes: 300, header: { t: 'srd-data', psn: 1 }, payload: new Uint8Array(200) });
    b.network.inject(
      { src: h1, dst: h0, entropy: 7, kind: 'data', wireBytes: 300, header: { t: HANDSHAKE_FRAME_TAG, pair: 0, step: 2, attempt: 0, index: 0, count: 1, total: 200 }, payload: new Uint8Array(200) },
      b.fabric.now + 1_000_000,
    );
    b.fabric.run();
    expect(b.protectorOf(0).stats()['rejected.plaintext']).toBe(before['rejected.plaintext']! + 1);
    expect(b.protectorOf(0).stats()['opened']).toBe(before['opened']);
    expect(b.handshakeStats()['framesStray']).toBe(shakes['framesStray']! + 1);
  });

  it('refuses the pair when a handshake message is rewritten in flight, and the ring then does not start', () => {
    const steps: string[] = [];
    b.network.interposeHandshake((message, step, from, to) => {
      steps.push(`${step} ${from}->${to}`);
      if (step !== 'serverHello') return message;
      const changed = message.slice();
      changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x80;
      return changed;
    });
    const mesh = b.formMesh();
    expect(steps).toEqual(['clientHello 0->1', 'serverHello 1->0']);
    expect(mesh.ok).toBe(false);
    expect(mesh.links[0]!.code).toMatch(/^LINK_HANDSHAKE_/);
    const refused = b.allReduce(b.local!.tensors);
    expect(refused.bitExact).toBe(false);
    expect(refused.outputs).toEqual([]);
    expect(refused.errors.map((e) => e.code)).toEqual([mesh.links[0]!.code, mesh.links[0]!.code]);
    expect(refused.linkStats['sealed']).toBe(0);
  });
});

describe('three hosts', () => {
  it('form three attested links and all-reduce across the spines to the reference', async () => {
    const cluster = createCluster({ seed: 8, hosts: 3, accelerators: { flavour: 'gpu', count: 0 } });
    const report = (await cluster.run()) as NitroClusterReport;
    expect(report.mesh.links.map((l) => [l.a, l.b, l.ok])).toEqual([[0, 1, true], [0, 2, true], [1, 2, true]]);
    expect(report.local?.source).toBe('cpu-probabilities');
    expect(report.allReduce.bitExact).toBe(true);
    expect(report.allReduce.outputs).toHaveLength(3);
    expect(report.leaks).toEqual([]);
    const spineFrames = cluster.network.links().filter((l) => l.tier === 'leaf-spine').reduce((sum, l) => sum + cluster.fabric.linkStats(l.id).packetsSent, 0);
    expect(spineFrames).toBeGreaterThan(0);
  }, 30_000);
});

describe("crypto: 'model'", () => {
  it('gives the same fabric-time results as real AES-GCM, and files ciphertext-sized zeros, not the plaintext it keeps', async () => {
    const cpu = { flavour: 'gpu', count: 0 } as const;
    const real = (await createCluster({ seed: 12, hosts: 2, accelerators: cpu }).run()) as NitroClusterReport;
    const model = (await createCluster({ seed: 12, hosts: 2, accelerators: cpu, crypto: 'model' }).run()) as NitroClusterReport;
    expect(model.allReduce.bitExact).toBe(true);
    expect(model.allReduce.durationPs).toBe(real.allReduce.durationPs);
    expect(model.fabricDigest).toBe(real.fabricDigest);
    expect(model.outputSha256).toBe(real.outputSha256);
    // ACKs differ: real mode carries their 16-byte tag as a payload, the model charges it without bytes.
    expect(model.seen.every((s) => s.parentFrames > 0)).toBe(true);
    expect(model.leaks).toEqual([]);
  }, 30_000);
});

describe('who may join the job (CT-04, CT-05)', () => {
  const cpu = { flavour: 'gpu', count: 0 } as const;

  it('refuses a debug-mode rank in the handshake; with peer attestation off it is let in (negative control)', async () => {
    const defended = createCluster({ seed: 9, hosts: 2, accelerators: cpu, debugRanks: [1] });
    const report = (await defended.run()) as NitroClusterReport;
    expect(report.ranks[1]).toMatchObject({ debugMode: true, ready: false, pcr0: '0'.repeat(96) });
    expect(report.mesh.links).toEqual([{ a: 0, b: 1, ok: false, code: 'LINK_HANDSHAKE_DEBUG_PEER' }]);
    expect(report.allReduce.errors.map((e) => e.code)).toContain('LINK_HANDSHAKE_DEBUG_PEER');
    expect(report.allReduce.outputs).toEqual([]);
    expect(defended.protectorOf(0).txEpoch(defended.hosts[1]!.host)).toBeUndefined();

    const control = createCluster({ seed: 9, hosts: 2, accelerators: cpu, debugRanks: [1], defences: { linkPeerAttestation: false } });
    const open = (await control.run()) as NitroClusterReport;
    expect(open.mesh.ok).toBe(true);
    expect(open.allReduce.bitExact).toBe(true);
    // The debug enclave now receives rank 0's data.
    expect(open.allReduce.outputs[1]!.some((v) => v !== 0)).toBe(true);
  }, 30_000);

  it('refuses a co-tenant enclave whose image is not the approved one', async () => {
    const cluster = createCluster({ seed: 10, hosts: 2, accelerators: { flavour: 'gpu', count: 0 }, foreignImageRanks: [0] });
    const report = (await cluster.run()) as NitroClusterReport;
    // Its own owner approved it, so it runs and holds its model; it is just not this job's image.
    expect(report.ranks[0]).toMatchObject({ image: 'foreign', ready: true });
    expect(report.ranks[0]!.pcr0).not.toBe(cluster.hosts[0]!.world.approvedPcr0);
    expect(report.mesh.links).toEqual([{ a: 0, b: 1, ok: false, code: 'LINK_HANDSHAKE_PCR_REFUSED' }]);
    expect(report.allReduce.outputs).toEqual([]);
    // The job's client would not attest it either: it contributes nothing of the job's.
    expect(cluster.local!.tensors[0]!.every((v) => v === 0)).toBe(true);
  }, 30_000);
});

describe('link encryption off (negative control of NET-01)', () => {
  it('a tap on an uplink captures the raw chunk and the canary checkers report it', async () => {
    const cluster = createCluster({ seed: 5, hosts: 2, defences: { linkEncryption: false } });
    const tapped = capture(cluster, 0);
    const report = (await cluster.run()) as NitroClusterReport;
    expect(report.mesh.links[0]!.encrypted).toBe(false);
    expect(report.allReduce.bitExact).toBe(true);
    const chunk = ownChunkBytes(cluster.local!.tensors, 0);
    expect(tapped.some((p) => p.payload !== undefined && indexOfBytes(p.payload, chunk) >= 0)).toBe(true);
    expect(report.leaks).toEqual(expect.arrayContaining([
      expect.stringMatching(/^rank0-local-tensor → network via fabric tap h0->leaf0/),
      expect.stringMatching(/^rank0-local-tensor → parent-admin via efa h0 tx/),
      expect.stringMatching(/^rank1-local-tensor → parent-admin via efa h1 tx/),
    ]));
    expect(findLeaks(cluster.hosts[1]!.world.ledger).some((l) => l.principal === 'network' && l.canary === 'rank0-local-tensor')).toBe(true);
  }, 30_000);
});

describe('bad input', () => {
  it.each([
    [{ seed: 1, hosts: 1 }, /hosts must be/],
    [{ seed: 1, hosts: 9 }, /hosts must be/],
    [{ seed: 1, hosts: 2.5 }, /hosts must be/],
    [{ seed: -1, hosts: 2 }, /seed/],
    [{ seed: 1, hosts: 2, debugRanks: [2] }, /debugRanks names rank 2/],
    [{ seed: 1, hosts: 3, foreignImageRanks: [1, 1] }, /twice/],
    [{ seed: 1, hosts: 2, accelerators: { flavour: 'tpu', count: 1 } }, /flavour/],
    [{ seed: 1, hosts: 2, accelerators: { flavour: 'gpu', count: 9 } }, /count/],
    [{ seed: 1, hosts: 2, jobId: 'x'.repeat(65) }, /jobId/],
    [{ seed: 1, hosts: 2, defences: { linkEncrypt: false } }, /unknown defence/],
    [{ seed: 1, hosts: 2, crypto: 'fast' }, /crypto/],
  ])('%j is CLUSTER_BAD_OPTIONS', (options, message) => {
    expect(() => createCluster(options as never)).toThrow(expect.objectContaining({ code: 'CLUSTER_BAD_OPTIONS', message: expect.stringMatching(message) }));
  });

  it('steps out of order and bad tensors are typed errors', async () => {
    const cluster = createCluster({ seed: 1, hosts: 2, accelerators: { flavour: 'gpu', count: 0 } });
    expect(() => cluster.formMesh()).toThrow(expect.objectContaining({ code: 'CLUSTER_NOT_LAUNCHED' }));
    await expect(cluster.computeLocal()).rejects.toMatchObject({ code: 'CLUSTER_NOT_LAUNCHED' });
    expect(() => cluster.allReduce([new Float32Array(4), new Float32Array(4)])).toThrow(expect.objectContaining({ code: 'CLUSTER_NO_MESH' }));
    await cluster.launch();
    await expect(cluster.launch()).rejects.toMatchObject({ code: 'CLUSTER_ALREADY_LAUNCHED' });
    expect(cluster.formMesh().ok).toBe(true);
    for (const bad of [[new Float32Array(4)], [new Float32Array(4), new Float32Array(5)], [new Float32Array(0), new Float32Array(0)], [new Float32Array(4), [1, 2, 3, 4]]]) {
      expect(() => cluster.allReduce(bad as never)).toThrow(expect.objectContaining({ code: 'CLUSTER_BAD_INPUT' }));
    }
    expect(() => cluster.network.uplinkOf(2)).toThrow(expect.objectContaining({ code: 'CLUSTER_BAD_RANK' }));
    expect(() => cluster.network.inject({ src: 0, dst: 99, entropy: 0, kind: 'data', wireBytes: 100, header: null })).toThrow(expect.objectContaining({ code: 'CLUSTER_BAD_PACKET' }));
    expect(() => cluster.network.tap(10_000, () => undefined)).toThrow(expect.objectContaining({ code: 'EFA_BAD_LINK' }));
  }, 30_000);
});
