import { encryptFramed, fromBase64, toBase64, toHex, utf8, wipe } from '../crypto/index.ts';
import { isEmuError } from '../errors.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { FramedConnection, createPipe } from '../ports/index.ts';
import type { Leak, PrincipalSummary } from '../scenario/index.ts';
import { InferenceClient } from './client.ts';
import { checkInvariants, type InvariantVerdict } from './invariants.ts';
import { KMS_NETWORK_LATENCY_NS } from './kms-endpoint.ts';
import { generateModelFile, inferReference, parseModelFile } from './model.ts';
import { relayClientToEnclave } from './parent-services.ts';
import { attestedKeyPolicy, unattestedKeyPolicy } from './policies.ts';
import { DOCUMENT_MAX_AGE_MS, type World } from './world.ts';

export interface FlowStep {
  readonly step: number;
  readonly title: string;
  /** Who did it and what crossed which boundary. */
  readonly what: string;
  /** Who could read what crossed. */
  readonly readers: string;
  readonly timeNs: number;
}

export interface FlowReport {
  readonly seed: number;
  readonly epochMs: number;
  readonly digest: string;
  readonly virtualTimeNs: number;
  readonly steps: readonly FlowStep[];
  readonly enclave: { readonly enclaveId: string; readonly pcr0: string; readonly debugMode: boolean } | null;
  readonly approvedPcr0: string;
  readonly inference: { readonly completed: boolean; readonly outputHex: string; readonly referenceHex: string; readonly matches: boolean; readonly error?: string };
  readonly probes: Readonly<Record<string, string>>;
  readonly invariants: Readonly<Record<string, InvariantVerdict>>;
  readonly leaks: readonly Leak[];
  readonly ledger: Readonly<Record<string, PrincipalSummary>>;
}

const ENCRYPTION_CONTEXT = { model: 'tiny-mlp', purpose: 'inference' };
const WEIGHTS_AAD = 'nitro-emu model weights v1';

/**
 * DESIGN.md §1 steps 1–6 for real, then attested inference and teardown, with the parent-admin and
 * the operator doing everything their principals may do along the way. Every step is narrated.
 */
export async function runFlow(world: World, onStep: (step: FlowStep) => void = () => undefined): Promise<FlowReport> {
  const { sim, ledger, arns } = world;
  const steps: FlowStep[] = [];
  const probes: Record<string, string> = {};
  const say = (title: string, what: string, readers: string) => {
    const step = { step: steps.length + 1, title, what, readers, timeNs: sim.nowNs };
    steps.push(step);
    sim.record('flow.step', { step: step.step, title });
    onStep(step);
  };
  const ownerCall = async (target: string, body: unknown) => {
    const reply = await world.kmsEndpoint.call('owner', { arn: arns.owner }, target, body);
    if (reply.status !== 200) throw new Error(`owner ${target} failed: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };

  let enclave: EnclaveRecord | null = null;
  let inference: FlowReport['inference'] = { completed: false, outputHex: '', referenceHex: '', matches: false };
  const releasedFrames: number[] = [];

  const work = async () => {
    // Canaries first, so every byte that moves is checked as it moves.
    const secrets = sim.prng('world.canaries');
    const weightsCanary = utf8(`WEIGHTS-CANARY-${toHex(secrets.bytes(12))}`);
    const promptCanary = utf8(`PROMPT-CANARY-${toHex(secrets.bytes(12))}`);
    ledger.plantCanary('weights-card', 'owner', weightsCanary);
    ledger.plantCanary('prompt', 'client', promptCanary);
    const modelFile = generateModelFile(sim.prng('owner.model'), `tiny-mlp; licence: owner only; ${new TextDecoder().decode(weightsCanary)}`);
    const model = parseModelFile(modelFile);
    ledger.plantCanary('weights-tensor', 'owner', new Uint8Array(model.w1.buffer.slice(0, 32)));

    const policy = world.defences.attestedKeyPolicy
      ? attestedKeyPolicy(arns.owner, arns.parentRole, world.approvedPcr0)
      : unattestedKeyPolicy(arns.owner, arns.parentRole);
    const created = await ownerCall('CreateKey', { Policy: JSON.stringify(policy), Description: 'model weights key' });
    const keyId = String((created['KeyMetadata'] as Record<string, unknown>)['KeyId']);
    say(
      'Owner creates the model key',
      world.defences.attestedKeyPolicy
        ? `KMS key ${keyId}: Decrypt only for a Recipient whose PCR0 (ImageSha384) is ${world.approvedPcr0.slice(0, 16)}…`
        : `KMS key ${keyId}: the parent's role may Decrypt with no attestation (negative control)`,
      'owner and KMS; the policy is not secret',
    );

    const dataKey = await ownerCall('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ENCRYPTION_CONTEXT });
    const plaintextKey = fromBase64(String(dataKey['Plaintext']));
    ledger.plantCanary('data-key', 'owner', plaintextKey);
    const sealedWeights = encryptFramed(modelFile, plaintextKey, { random: sim.prng('owner.frames'), aad: utf8(WEIGHTS_AAD) });
    wipe(plaintextKey);
    const manifest = {
      keyId,
      encryptionContext: ENCRYPTION_CONTEXT,
      weightsAad: WEIGHTS_AAD,
      dataKeyPath: 'model/datakey.blob',
      weightsPath: 'model/weights.enc',
    };
    const upload = (path: string, data: Uint8Array) => {
      world.parent.disk.write(path, data);
      world.observe('parent-admin', `disk-write ${path}`, data);
    };
    upload('model/weights.enc', sealedWeights);
    upload('model/datakey.blob', fromBase64(String(dataKey['CiphertextBlob'])));
    upload('model/manifest.json', utf8(JSON.stringify(manifest)));
    say(
      'Owner envelope-encrypts the weights',
      `GenerateDataKey → AES-256 data key; ${modelFile.length} bytes of weights sealed in ${Math.ceil(modelFile.length / 65536)} AES-256-GCM frames; ciphertext and the KMS-encrypted data key go to the parent's disk`,
      'the parent-admin holds only ciphertext',
    );

    enclave = world.host.launchEnclave(world.parent, world.launchImage, {
      memoryMiB: 256,
      cpuCount: 2,
      debugMode: world.options.debugMode ?? false,
    });
    say(
      'Parent launches the enclave',
      `${enclave.enclaveId} (CID ${enclave.cid}): 2 vCPUs and 256 MiB carved out of the parent, PCR0 ${enclave.pcrs[0]?.slice(0, 16)}…${enclave.debugMode ? ' (debug mode: PCR0 reads as zero)' : ''}`,
      'the enclave pages are no longer the parent’s',
    );

    let keyReleased = true;
    try {
      await enclave.started;
    } catch (error) {
      keyReleased = false;
      probes['enclave'] = isEmuError(error) ? error.message : String(error);
    }
    say(
      'Enclave attests and asks KMS for the data key',
      keyReleased
        ? 'RSA-2048 key pair → NSM attestation document with the public key → Decrypt with Recipient through the parent’s vsock-proxy → KMS verified the document and the policy → CiphertextForRecipient (CMS to the enclave key) → weights decrypted frame by frame inside'
        : `KMS refused: ${probes['enclave']}`,
      'the parent relayed the document and CMS ciphertext it cannot open; only the enclave could decrypt the data key',
    );

    const promptText = new TextDecoder().decode(promptCanary);
    const prompt = utf8(`${promptText}: summarise the quarterly numbers`);
    const reference = inferReference(model, prompt);
    ledger.plantCanary('output', 'client', reference);
    if (keyReleased) {
      const [clientEnd, parentEnd] = createPipe({
        sim,
        channel: 'internet client<->parent',
        latencyNs: KMS_NETWORK_LATENCY_NS,
        owners: ['client', 'parent-admin'],
        observe: (owner, channel, bytes) => world.observe(owner, channel, bytes),
      });
      await relayClientToEnclave(world.host.vsock, enclave.cid, parentEnd);
      const client = new InferenceClient({
        verifier: world.verifier,
        random: sim.prng('client'),
        nowMs: () => sim.nowMs,
        expectedPcr0: world.approvedPcr0,
        maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
      });
      const connection = new FramedConnection(clientEnd);
      try {
        const result = await client.infer(connection, prompt);
        inference = {
          completed: true,
          outputHex: toHex(result.output),
          referenceHex: toHex(reference),
          matches: toHex(result.output) === toHex(reference),
        };
        world.observe('client', 'inference-output', result.output);
      } catch (error) {
        inference = { ...inference, referenceHex: toHex(reference), error: isEmuError(error) ? error.message : String(error) };
      }
      connection.close();
      say(
        'Client attests the enclave and runs inference',
        inference.completed
          ? `the client verified the enclave's document (root, PCR0, its nonce), sent its prompt under an ECDH-derived key, and got ${reference.length} bytes of output ${inference.matches ? 'equal to' : 'DIFFERENT from'} the plaintext reference`
          : `inference failed: ${inference.error}`,
        'the parent relayed ciphertext only',
      );
    }

    // What the parent-admin may do by design: read its memory and disk, call KMS with its own role.
    const direct = await world.kmsEndpoint.call('parent-admin', { arn: arns.parentRole }, 'Decrypt', {
      KeyId: keyId,
      CiphertextBlob: toBase64(world.parent.disk.read('model/datakey.blob')),
      EncryptionContext: ENCRYPTION_CONTEXT,
    });
    probes['parentDirectDecrypt'] = direct.status === 200 ? 'released' : String(direct.body['__type']);
    probes['parentMemoryScan'] = `${scanParentMemory(world, 'memory-read')} pages read`;
    for (const line of [JSON.stringify(world.host.operator.listInstances()), JSON.stringify(world.host.operator.metrics(world.parent.instanceId))]) {
      world.observe('operator', 'operator-api', line);
    }
    // Only a conventional hypervisor has this call; on a Nitro-style host the attempt has nothing to call.
    const dump = world.host.operator.dumpGuestMemory;
    const dumped = dump?.(world.parent.instanceId);
    probes['operatorMemoryDump'] = dumped === undefined ? 'no such API' : `${dumped.length} bytes dumped`;
    if (dumped !== undefined) world.observe('operator', 'operator-api dumpGuestMemory', dumped);
    say(
      'The parent-admin and the operator try what they can',
      `parent Decrypt with its own role and no attestation: ${probes['parentDirectDecrypt']}; parent read ${probes['parentMemoryScan']} of its memory; operator listed instances and metrics; operator memory dump: ${probes['operatorMemoryDump']}`,
      'their ledgers are scanned for canaries below',
    );

    if (enclave.state === 'running') {
      releasedFrames.push(...enclave.frames);
      world.host.terminateEnclave(enclave.enclaveId, 'parent-admin');
      probes['memoryAfterRelease'] = `${scanParentMemory(world, 'memory-read after release')} pages read`;
      say(
        'Teardown',
        `terminate-enclave: ${world.defences.scrubOnRelease ? 'the enclave pages were zeroed, then returned to the parent' : 'pages returned WITHOUT scrubbing (negative control)'}; the parent read its memory again`,
        'the parent reads only zeros where the enclave was',
      );
    }
  };

  await sim.runUntil(work());
  const { verdicts, leaks } = checkInvariants({
    ledger,
    host: world.host,
    kms: world.kms,
    approvedPcr0: world.approvedPcr0,
    ownerArn: arns.owner,
    releasedFrames,
    maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
  });
  const invariants: Record<string, InvariantVerdict> = {
    ...verdicts,
    'FLOW-OUTPUT-MATCHES-REFERENCE': {
      held: inference.completed && inference.matches,
      detail: inference.completed ? `output ${inference.matches ? '==' : '!='} reference` : `no output: ${inference.error ?? probes['enclave'] ?? 'not attempted'}`,
    },
  };
  sim.record('flow.verdicts', Object.fromEntries(Object.entries(invariants).map(([k, v]) => [k, v.held])));
  const launched = enclave as EnclaveRecord | null;
  return {
    seed: sim.seed,
    epochMs: sim.epochMs,
    digest: sim.digest(),
    virtualTimeNs: sim.nowNs,
    steps,
    enclave: launched ? { enclaveId: launched.enclaveId, pcr0: launched.pcrs[0] ?? '', debugMode: launched.debugMode } : null,
    approvedPcr0: world.approvedPcr0,
    inference,
    probes,
    invariants,
    leaks,
    ledger: ledger.summary(),
  };
}

/** The parent reads every page it can address that holds data; returns how many it read. */
function scanParentMemory(world: World, channel: string): number {
  const pages = world.parent.memory.touchedPages();
  for (const address of pages) world.observe('parent-admin', channel, world.parent.memory.read(address, 4096));
  return pages.length;
}
