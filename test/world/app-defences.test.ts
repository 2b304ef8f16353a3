import { describe, expect, it } from 'vitest';
import {
  aes256GcmOpen,
  aes256GcmSeal,
  concatBytes,
  createEmulatedNitroRoot,
  createEmulatedWebPkiRoot,
  createNitroIntermediates,
  fromBase64,
  fromUtf8,
  hkdfSha384,
  issueEnclaveLeaf,
  issueServerLeaf,
  openCapturedSession,
  openEnvelopedData,
  p384KeyPair,
  p384SharedSecret,
  secureChannelAccept,
  signAttestationDocument,
  toBase64,
  utf8,
} from '../../src/crypto/index.ts';
import { fileURLToPath } from 'node:url';
import {
  NsmClient,
  buildEnclaveImage,
  defaultAppKeysFromSeed,
  defaultEnclaveImage,
  loadEnclaveImage,
  readAppFolder,
} from '../../src/enclave/index.ts';
import { EmuError } from '../../src/errors.ts';
import { FramedConnection, createPipe } from '../../src/ports/index.ts';
import { findLeaks } from '../../src/scenario/index.ts';
import { Prng } from '../../src/sim/index.ts';
import { APP_PATHS } from '../../src/world/app-services.ts';
import { InferenceClient } from '../../src/world/client.ts';
import { generateModelFile } from '../../src/world/model.ts';
import {
  World,
  clientInference,
  deployModel,
  launchEnclave,
  teardownEnclave,
  type WorldDefences,
} from '../../src/world/index.ts';

const drive = <T>(w: World, work: Promise<T>): Promise<T> => w.sim.runUntil(work);
const world = (seed: number, defences: Partial<WorldDefences> = {}) => new World({ seed, defences });
const appEvents = (w: World, kind: string) => w.sim.trace.events.filter((e) => e.kind === `app.enclave.${kind}`).map((e) => e.fields);
/** Everything the parent-admin obtained, as one latin1 string to search in. */
const parentSaw = (w: World) =>
  w.ledger
    .of('parent-admin')
    .map((o) => Buffer.from(o.bytes ?? new Uint8Array(0)).toString('latin1'))
    .join('\n');
const leakedCanaries = (w: World) => [...new Set(findLeaks(w.ledger).filter((l) => l.principal === 'parent-admin').map((l) => l.canary))].sort();

describe('app defences live in the measured image', () => {
  it('approves the default image with all on, and another approved image per weakened world', async () => {
    const defended = world(1);
    expect(defended.approvedImage).toEqual(defaultEnclaveImage());
    const control = world(1, { appLogHygiene: false });
    expect(control.approvedPcr0).not.toBe(defended.approvedPcr0);
    const config = JSON.parse(fromUtf8(loadEnclaveImage(control.approvedImage).appFiles.get('defences.json')!));
    expect(config.appLogHygiene).toBe(false);
    expect(world(2).approvedPcr0).toBe(defended.approvedPcr0);
  });

  it('an image of the app without its config refuses to start rather than guess', async () => {
    const folder = readAppFolder(fileURLToPath(new URL('../../src/enclave/default-app/', import.meta.url)));
    const image = buildEnclaveImage({ appFiles: folder.files.filter((f) => f.path !== 'defences.json'), entry: folder.entry });
    const w = new World({ seed: 2, enclaveImage: image });
    await drive(w, deployModel(w));
    const launched = await drive(w, launchEnclave(w));
    expect(launched.ready).toBe(false);
    expect(launched.failure).toContain('no defences.json');
  });
});

describe('kmsChannelPinned: the enclave talks to KMS through a TLS-like channel the parent only relays', () => {
  it('hides the Decrypt request, the document and the reply from the parent; plain frames show them', async () => {
    const on = world(3);
    const deployment = await drive(on, deployModel(on));
    const launched = await drive(on, launchEnclave(on));
    expect(launched.ready).toBe(true);
    const onSaw = parentSaw(on);
    expect(onSaw).not.toContain('TrentService.Decrypt');
    expect(onSaw).not.toContain('AttestationDocument');
    expect(onSaw).not.toContain(toBase64(deployment.dataKeyBlob));
    expect(on.sim.trace.events.some((e) => e.kind === 'kms.secure-channel-refused')).toBe(false);

    const off = world(3, { kmsChannelPinned: false });
    const offDeployment = await drive(off, deployModel(off));
    expect((await drive(off, launchEnclave(off))).ready).toBe(true);
    const offSaw = parentSaw(off);
    expect(offSaw).toContain('TrentService.Decrypt');
    expect(offSaw).toContain('AttestationDocument');
    expect(offSaw).toContain(toBase64(offDeployment.dataKeyBlob));
  });

  it('refuses a fake KMS with a self-made certificate (PA-09); the unpinned app hands it its request', async () => {
    const fakeRoot = createEmulatedWebPkiRoot(new Prng(66, 'parent-admin fake root'));
    const fakeLeaf = issueServerLeaf(new Prng(66, 'parent-admin fake leaf'), fakeRoot, 'kms.us-east-1.amazonaws.com');
    const runFake = async (defences: Partial<WorldDefences>) => {
      const w = world(4, defences);
      await drive(w, deployModel(w));
      const received: string[] = [];
      w.relayControl.kmsRoute = (enclaveSide: FramedConnection) => {
        void (async () => {
          const first = await enclaveSide.receive();
          if (first === null) return;
          if (first[0] === 0x4e /* 'N': a secure-channel hello */) {
            const channel = await secureChannelAccept(enclaveSide, {
              random: new Prng(66, 'fake kms'),
              chainDer: [fakeLeaf.der, fakeRoot.der],
              privateKey: fakeLeaf.keyPair.privateKey,
              clientHello: first,
            }).catch(() => null);
            const inner = channel === null ? null : await channel.receive().catch(() => null);
            if (inner !== null) received.push(fromUtf8(inner));
          } else received.push(fromUtf8(first));
          enclaveSide.close();
        })();
      };
      return { w, launched: await drive(w, launchEnclave(w)), received };
    };
    const pinned = await runFake({});
    expect(pinned.launched.ready).toBe(false);
    expect(pinned.received).toEqual([]);
    expect(appEvents(pinned.w, 'kms-channel-refused')[0]?.['code']).toMatch(/^CHAIN_/);

    const unpinned = await runFake({ kmsChannelPinned: false });
    expect(unpinned.launched.ready).toBe(false);
    expect(unpinned.received.length).toBeGreaterThan(0);
    expect(unpinned.received[0]).toContain('AttestationDocument');
  });
});

/** The parent's capture of the KMS exchange (it runs the proxy): every frame each way. */
function capture(w: World) {
  const toKms: Uint8Array[] = [];
  const toEnclave: Uint8Array[] = [];
  w.relayControl.filter = (direction, message) => {
    if (direction === 'to-kms') toKms.push(message.slice());
    if (direction === 'to-enclave') toEnclave.push(message.slice());
    return [message];
  };
  return { toKms, toEnclave };
}

/** PA-15's parent: recompute the enclave's keys from a seed, open the channel's reply, then CiphertextForRecipient. */
function recoverDataKey(seed: Uint8Array, frames: ReturnType<typeof capture>): Uint8Array {
  const keys = defaultAppKeysFromSeed(seed);
  const [reply] = openCapturedSession(
    { clientHello: frames.toKms[0]!, serverHello: frames.toEnclave[0]!, records: frames.toEnclave.slice(1, 2), direction: 'server-to-client' },
    keys.firstChannelKey.privateKey,
  );
  const answer = JSON.parse(JSON.parse(fromUtf8(reply!)).body) as { CiphertextForRecipient: string };
  return openEnvelopedData(fromBase64(answer.CiphertextForRecipient), keys.recipientKey);
}

describe('appEntropyFromNsm', () => {
  it('off: the parent recomputes the enclave keys from its seed file and gets the data key (PA-15 control)', async () => {
    const off = world(5, { appEntropyFromNsm: false });
    await drive(off, deployModel(off));
    const frames = capture(off);
    expect((await drive(off, launchEnclave(off))).ready).toBe(true);
    expect(appEvents(off, 'entropy')).toEqual([expect.objectContaining({ source: 'parent-file' })]);
    const dataKey = recoverDataKey(off.parent.disk.read(APP_PATHS.entropy), frames);
    off.observe('parent-admin', 'recomputed enclave key', dataKey);
    expect(leakedCanaries(off)).toEqual(['data-key']);
  });

  it('on: the same attack with any seed the parent knows opens nothing', async () => {
    const on = world(5);
    await drive(on, deployModel(on));
    const frames = capture(on);
    expect((await drive(on, launchEnclave(on))).ready).toBe(true);
    expect(appEvents(on, 'entropy')).toEqual([]);
    expect(() => recoverDataKey(new Prng(5, 'parent.entropy-file').bytes(32), frames)).toThrow(EmuError);
    expect(leakedCanaries(on)).toEqual([]);
  });
});

describe('appAuthenticatesInputs', () => {
  const plant = (w: World) => w.parent.disk.write(APP_PATHS.plainWeights, generateModelFile(new Prng(9, 'attacker model'), 'poisoned'));
  it('off: the app serves a plaintext model the parent planted (PA-18/RB-04 control); on: it never looks', async () => {
    const results: Record<string, { source: unknown; matches: boolean }> = {};
    for (const [name, defences] of [['on', {}], ['off', { appAuthenticatesInputs: false }]] as const) {
      const w = world(6, defences);
      const deployment = await drive(w, deployModel(w));
      plant(w);
      const launched = await drive(w, launchEnclave(w));
      expect(launched.ready).toBe(true);
      const outcome = await drive(w, clientInference(w, launched.record, deployment));
      results[name] = { source: appEvents(w, 'model-loaded')[0]?.['source'], matches: outcome.matches };
    }
    expect(results).toEqual({ on: { source: 'sealed', matches: true }, off: { source: 'plain', matches: false } });
  });
});

describe('appLogHygiene: the app log reaches the parent always', () => {
  it('on: boot lines only; off: the data key, the prompt and the output land in the parent ledger (PA-19 control)', async () => {
    const on = world(7);
    const d1 = await drive(on, deployModel(on));
    const l1 = await drive(on, launchEnclave(on));
    expect((await drive(on, clientInference(on, l1.record, d1))).matches).toBe(true);
    expect(on.appLogLines.length).toBeGreaterThan(0);
    expect(on.appLogLines.join('\n')).not.toMatch(/data key|prompt|output/);
    expect(leakedCanaries(on)).toEqual([]);

    const off = world(7, { appLogHygiene: false });
    const d2 = await drive(off, deployModel(off));
    const l2 = await drive(off, launchEnclave(off));
    expect((await drive(off, clientInference(off, l2.record, d2))).matches).toBe(true);
    expect(leakedCanaries(off)).toEqual(['data-key', 'output', 'prompt']);
  });
});

describe('sealedStateVersioned: sealed state checked against the platform monotonic counter', () => {
  async function rollback(defences: Partial<WorldDefences>) {
    const w = world(8, defences);
    await drive(w, deployModel(w));
    const first = await drive(w, launchEnclave(w));
    expect(first.ready).toBe(true);
    const v1 = w.parent.disk.read(APP_PATHS.sealedState);
    teardownEnclave(w, first.record);
    const second = await drive(w, launchEnclave(w));
    expect(second.ready).toBe(true);
    teardownEnclave(w, second.record);
    w.parent.disk.write(APP_PATHS.sealedState, v1); // the parent replays the older blob
    const third = await drive(w, launchEnclave(w));
    return { w, third, loaded: appEvents(w, 'sealed-state-loaded'), rejected: appEvents(w, 'sealed-state-rejected') };
  }

  it('on: an older blob replayed by the parent is refused (RB-01)', async () => {
    const { third, loaded, rejected } = await rollback({});
    expect(loaded.map((e) => e['version'])).toEqual([0, 1]);
    expect(third.ready).toBe(false);
    expect(rejected).toEqual([expect.objectContaining({ version: 1, counter: 2 })]);
  });

  it('off: the app loads the older blob and reports its version behind the counter (RB-01 control)', async () => {
    const { third, loaded, rejected } = await rollback({ sealedStateVersioned: false });
    expect(third.ready).toBe(true);
    expect(rejected).toEqual([]);
    expect(loaded.at(-1)).toEqual(expect.objectContaining({ version: 1, counter: 2, current: false }));
  });

  it('refuses a tampered blob whatever the switch', async () => {
    for (const defences of [{}, { sealedStateVersioned: false }]) {
      const w = world(9, defences);
      await drive(w, deployModel(w));
      const first = await drive(w, launchEnclave(w));
      const blob = w.parent.disk.read(APP_PATHS.sealedState);
      teardownEnclave(w, first.record);
      blob[blob.length - 1]! ^= 1;
      w.parent.disk.write(APP_PATHS.sealedState, blob);
      const second = await drive(w, launchEnclave(w));
      expect(second.ready).toBe(false);
      expect(second.failure).toContain('SEALED_STATE_AUTH_FAILED');
    }
  });
});

describe('nsmLockEnforced is wired from the world into every NSM', () => {
  it('on: extending or locking PCR0 fails; off: both succeed (PA-10 control)', () => {
    for (const enforced of [true, false]) {
      const w = world(10, { nsmLockEnforced: enforced });
      const record = w.host.launchEnclave(w.parent, w.approvedImage, { memoryMiB: 256, cpuCount: 2, startApplication: false });
      const nsm = new NsmClient((bytes) => w.host.nsmRequestFor(record.enclaveId, bytes));
      const before = nsm.describePcr(0).data;
      if (enforced) {
        expect(() => nsm.extendPcr(0, utf8('parent-chosen'))).toThrow(EmuError);
        expect(() => nsm.lockPcr(0)).toThrow(EmuError);
        expect(nsm.describePcr(0).data).toEqual(before);
      } else {
        expect(nsm.extendPcr(0, utf8('parent-chosen'))).not.toEqual(before);
        expect(() => nsm.lockPcr(0)).not.toThrow();
      }
    }
  });
});

describe('clientVerifiesAttestation', () => {
  /** The parent answers the client itself with a document from its own PKI and reads the prompt (PA-13). */
  async function impersonate(verifies: boolean) {
    const w = world(11);
    const random = new Prng(11, 'parent-admin forger');
    const root = createEmulatedNitroRoot(random);
    const chain = createNitroIntermediates({ random, root, issuedAtMs: w.sim.nowMs, region: 'us-east-1', instanceId: 'i-0fa4e0000000000a1' });
    const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId: 'i-0fa4e0000000000a1-enc0000000000000001', region: 'us-east-1', notBeforeMs: w.sim.nowMs });
    const [clientEnd, parentEnd] = createPipe({
      sim: w.sim,
      channel: 'internet client<->parent',
      latencyNs: 1000,
      owners: ['client', 'parent-admin'],
      observe: (owner, channel, bytes) => w.observe(owner, channel, bytes),
    });
    const fake = new FramedConnection(parentEnd);
    const sessionKey = p384KeyPair(random);
    void (async () => {
      const hello = JSON.parse(fromUtf8((await fake.receive())!)) as { nonce: string };
      const document = signAttestationDocument(
        {
          moduleId: 'i-0fa4e0000000000a1-enc0000000000000001',
          digest: 'SHA384',
          timestamp: w.sim.nowMs,
          pcrs: new Map([[0, new Uint8Array(48)]]),
          certificate: leaf.der,
          cabundle: chain.cabundle,
          publicKey: sessionKey.publicKey,
          userData: null,
          nonce: fromBase64(hello.nonce),
        },
        leaf.keyPair.privateKey,
      );
      fake.send(utf8(JSON.stringify({ type: 'attestation', document: toBase64(document) })));
      const prompt = await fake.receive();
      if (prompt === null) return;
      const message = JSON.parse(fromUtf8(prompt)) as { clientPublicKey: string; ciphertext: string };
      const clientPublicKey = fromBase64(message.clientPublicKey);
      const shared = p384SharedSecret(sessionKey.privateKey, clientPublicKey);
      const key = hkdfSha384(shared, fromBase64(hello.nonce), concatBytes(utf8('nitro-emu client session v1'), clientPublicKey, sessionKey.publicKey), 32);
      const iv = (d: number) => Uint8Array.of(d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      w.observe('parent-admin', 'impersonated enclave', aes256GcmOpen(key, iv(1), fromBase64(message.ciphertext), utf8('prompt')));
      fake.send(utf8(JSON.stringify({ type: 'output', ciphertext: toBase64(aes256GcmSeal(key, iv(2), utf8('fake'), utf8('output'))) })));
    })();
    const client = new InferenceClient({
      verifier: w.verifier,
      random: new Prng(11, 'client'),
      nowMs: () => w.sim.nowMs,
      expectedPcr0: w.approvedPcr0,
      maxDocumentAgeMs: 300_000,
      verifiesAttestation: verifies,
    });
    w.ledger.plantCanary('prompt', 'client', utf8('PROMPT-CANARY-impersonation'));
    const result = await drive(w, client.infer(new FramedConnection(clientEnd), utf8('PROMPT-CANARY-impersonation: hello'))).catch((e: unknown) => e);
    return { w, result };
  }

  it('on: the client refuses a document that does not chain to the Nitro root and sends no prompt', async () => {
    const { w, result } = await impersonate(true);
    expect(result).toBeInstanceOf(EmuError);
    expect(leakedCanaries(w)).toEqual([]);
  });

  it('off: the client sends its prompt to the impersonating parent (PA-13 control)', async () => {
    const { w, result } = await impersonate(false);
    expect(result).not.toBeInstanceOf(Error);
    expect(leakedCanaries(w)).toEqual(['prompt']);
  });
});
