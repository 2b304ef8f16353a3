import { fromUtf8, openCapturedSession, openEnvelopedData, utf8 } from '../../../crypto/index.ts';
import { defaultAppKeysFromSeed } from '../../../enclave/index.ts';
import { defineScenario } from '../../define.ts';
import { tryTyped } from '../common.ts';
import { captureRelay, exploitKeyReply, parentAdmin } from './helpers.ts';

/** Where an app that does not draw from its NSM looks for its seed (the parent's disk). */
const ENTROPY_PATH = 'config/entropy.bin';

/** PA-15: if the enclave's randomness comes from the parent, so does every key it makes. */
export default defineScenario({
  id: 'PA-15',
  name: 'pa.enclave.poison-entropy',
  title: 'Parent admin supplies the enclave’s entropy seed and recomputes its keys',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0025'] },
  defence: 'appEntropyFromNsm',
  expect: 'blocked',
  teaching:
    'The parent-admin writes an entropy seed of its choosing where the app would read one, relaunches the enclave and records its KMS exchange. ' +
    'The app draws all randomness from its NSM (GetRandom), so the keys the parent recomputes from its seed open nothing. ' +
    'An app built to seed from a parent-supplied file (the control) makes exactly the keys the parent recomputes: it opens the KMS channel and CiphertextForRecipient and holds the data key.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    pa.terminateEnclave(enclave.enclaveId);
    const seed = utf8('parent-admin chosen seed, 32 B!!');
    pa.writeDisk(ENTROPY_PATH, seed);
    const seen = captureRelay(pa);
    const relaunched = await pa.launchEnclave({});
    ctx.note(`relaunched the enclave with the seed on disk: ${relaunched.ready ? 'ready' : `stopped: ${relaunched.failure}`}`);
    const toKms = seen.filter((s) => s.direction === 'to-kms').map((s) => s.message);
    const toEnclave = seen.filter((s) => s.direction === 'to-enclave').map((s) => s.message);
    const keys = defaultAppKeysFromSeed(seed);
    const reply = tryTyped(ctx, 'open the captured KMS channel with the recomputed key', () => {
      const [clientHello, serverHello, firstRecord] = [toKms[0], toEnclave[0], toEnclave[1]];
      if (clientHello === undefined || serverHello === undefined || firstRecord === undefined) return undefined;
      return openCapturedSession({ clientHello, serverHello, records: [firstRecord], direction: 'server-to-client' }, keys.firstChannelKey.privateKey)[0];
    });
    if (reply === undefined) return;
    const answer = JSON.parse(String((JSON.parse(fromUtf8(reply)) as { body?: unknown }).body)) as Record<string, unknown>;
    exploitKeyReply(ctx, pa, answer, (cms) => openEnvelopedData(cms, keys.recipientKey));
  },
});
