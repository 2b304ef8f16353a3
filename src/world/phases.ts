import { encryptFramed, fromBase64, toHex, utf8, wipe } from '../crypto/index.ts';
import { isEmuError } from '../errors.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { FramedConnection, createPipe } from '../ports/index.ts';
import { InferenceClient } from './client.ts';
import { KMS_NETWORK_LATENCY_NS } from './kms-endpoint.ts';
import { generateModelFile, inferReference, parseModelFile, type Model } from './model.ts';
import { deviceModelFor } from './device-model.ts';
import { relayClientToEnclave } from './parent-services.ts';
import { attestedKeyPolicy, unattestedKeyPolicy } from './policies.ts';
import { DOCUMENT_MAX_AGE_MS, type World } from './world.ts';

export const ENCRYPTION_CONTEXT: Readonly<Record<string, string>> = { model: 'tiny-mlp', purpose: 'inference' };
export const WEIGHTS_AAD = 'nitro-emu model weights v1';
export const PATHS = {
  weights: 'model/weights.enc',
  dataKey: 'model/datakey.blob',
  manifest: 'model/manifest.json',
  /** Written only when `weightsEncryptedAtRest` is off. */
  plaintextStaging: 'staging/model.bin',
} as const;

/** What the owner put in place: the key, the sealed weights on the parent's disk, and the secrets' canaries. */
export interface Deployment {
  readonly keyId: string;
  readonly policy: object;
  /** The CPU model (absent when the model runs on accelerators). */
  readonly model: Model | undefined;
  readonly modelFile: Uint8Array;
  readonly sealedWeights: Uint8Array;
  readonly dataKeyBlob: Uint8Array;
  /** The client's prompt and the output the model must give for it (computed outside, in plaintext). */
  readonly prompt: Uint8Array;
  readonly reference: Uint8Array;
}

async function ownerCall(world: World, target: string, body: unknown): Promise<Record<string, unknown>> {
  const reply = await world.kmsEndpoint.call('owner', { arn: world.arns.owner }, target, body);
  if (reply.status !== 200) throw new Error(`owner ${target} failed: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/**
 * DESIGN.md §1 steps 1–2: canaries first (so every byte that moves is checked as it moves), then the
 * key and its policy, GenerateDataKey, the framed weights and the upload to the parent's disk.
 */
export async function deployModel(world: World, options: { readonly policy?: object } = {}): Promise<Deployment> {
  const { sim, ledger, arns } = world;
  const secrets = sim.prng('world.canaries');
  const weightsCanary = utf8(`WEIGHTS-CANARY-${toHex(secrets.bytes(12))}`);
  const promptCanary = utf8(`PROMPT-CANARY-${toHex(secrets.bytes(12))}`);
  ledger.plantCanary('weights-card', 'owner', weightsCanary);
  ledger.plantCanary('prompt', 'client', promptCanary);
  const prompt = utf8(`${new TextDecoder().decode(promptCanary)}: summarise the quarterly numbers`);
  const card = `${world.accelerators.length > 0 ? 'tiny-transformer' : 'tiny-mlp'}; licence: owner only; ${new TextDecoder().decode(weightsCanary)}`;
  let modelFile: Uint8Array;
  let model: Model | undefined;
  let reference: Uint8Array;
  const runtime: Record<string, unknown> = {};
  if (world.accelerators.length > 0) {
    // Accelerators: a small transformer, greedy decoding on the devices; the reference is the CPU run of the same kernels.
    const device = deviceModelFor(world, card, prompt);
    modelFile = device.file;
    ledger.plantCanary('weights-tensor', 'owner', device.tensorCanary);
    reference = device.reference;
    Object.assign(runtime, { runtime: 'device', newTokens: device.newTokens });
  } else {
    modelFile = generateModelFile(sim.prng('owner.model'), card);
    model = parseModelFile(modelFile);
    ledger.plantCanary('weights-tensor', 'owner', new Uint8Array(model.w1.buffer.slice(0, 32)));
    reference = inferReference(model, prompt);
  }
  ledger.plantCanary('output', 'client', reference);

  const policy =
    options.policy ??
    (world.defences.attestedKeyPolicy
      ? attestedKeyPolicy(arns.owner, arns.parentRole, world.approvedPcr0)
      : unattestedKeyPolicy(arns.owner, arns.parentRole));
  const created = await ownerCall(world, 'CreateKey', { Policy: JSON.stringify(policy), Description: 'model weights key' });
  const keyId = String((created['KeyMetadata'] as Record<string, unknown>)['KeyId']);
  const dataKey = await ownerCall(world, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ENCRYPTION_CONTEXT });
  const plaintextKey = fromBase64(String(dataKey['Plaintext']));
  ledger.plantCanary('data-key', 'owner', plaintextKey);
  const sealedWeights = encryptFramed(modelFile, plaintextKey, { random: sim.prng('owner.frames'), aad: utf8(WEIGHTS_AAD) });
  wipe(plaintextKey);
  const dataKeyBlob = fromBase64(String(dataKey['CiphertextBlob']));
  const manifest = { keyId, encryptionContext: ENCRYPTION_CONTEXT, weightsAad: WEIGHTS_AAD, dataKeyPath: PATHS.dataKey, weightsPath: PATHS.weights, ...runtime };
  const upload = (path: string, data: Uint8Array) => {
    world.parent.disk.write(path, data);
    world.observe('parent-admin', `disk-write ${path}`, data, 'owner');
  };
  upload(PATHS.weights, sealedWeights);
  upload(PATHS.dataKey, dataKeyBlob);
  upload(PATHS.manifest, utf8(JSON.stringify(manifest)));
  // The negative control of OP-08: an owner who also stages the plaintext checkpoint on the volume.
  if (!world.defences.weightsEncryptedAtRest) upload(PATHS.plaintextStaging, modelFile);
  return { keyId, policy, model, modelFile, sealedWeights, dataKeyBlob, prompt, reference };
}

export interface LaunchedEnclave {
  readonly record: EnclaveRecord;
  /** True once the application got its key and serves; false with `failure` when it stopped. */
  readonly ready: boolean;
  readonly failure: string | undefined;
}

/** DESIGN.md §1 steps 3–6: the parent launches an image; the app attests, gets its key and loads the weights. */
export async function launchEnclave(
  world: World,
  options: { readonly image?: Uint8Array; readonly debugMode?: boolean; readonly memoryMiB?: number } = {},
): Promise<LaunchedEnclave> {
  const record = world.host.launchEnclave(world.parent, options.image ?? world.launchImage, {
    memoryMiB: options.memoryMiB ?? 256,
    cpuCount: 2,
    debugMode: options.debugMode ?? world.options.debugMode ?? false,
  });
  // The host's accelerators go to this enclave before its app first runs (it asks for them once it holds its key).
  for (const device of world.accelerators) {
    if (world.host.devices.find((d) => d.deviceId === device.deviceId)?.enclaveId === null) world.host.assignDevice(device.deviceId, record.enclaveId);
  }
  try {
    await record.started;
    return { record, ready: true, failure: undefined };
  } catch (error) {
    return { record, ready: false, failure: isEmuError(error) ? error.message : String(error) };
  }
}

export interface InferenceOutcome {
  readonly completed: boolean;
  readonly output: Uint8Array | undefined;
  readonly matches: boolean;
  readonly error: string | undefined;
}

/** DESIGN.md §1 step 9: a client attests the enclave through the parent's front door and runs its prompt. */
export async function clientInference(world: World, enclave: EnclaveRecord, deployment: Deployment): Promise<InferenceOutcome> {
  const { sim } = world;
  const [clientEnd, parentEnd] = createPipe({
    sim,
    channel: 'internet client<->parent',
    latencyNs: KMS_NETWORK_LATENCY_NS,
    owners: ['client', 'parent-admin'],
    observe: (owner, channel, bytes, from) => world.observe(owner, channel, bytes, from),
  });
  await relayClientToEnclave(world.parent.vsock, enclave.cid, parentEnd, world.relayControl);
  const client = new InferenceClient({
    verifier: world.verifier,
    random: sim.prng('client'),
    nowMs: () => sim.nowMs,
    expectedPcr0: world.approvedPcr0,
    maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
    verifiesAttestation: world.defences.clientVerifiesAttestation,
  });
  const connection = new FramedConnection(clientEnd);
  try {
    const result = await client.infer(connection, deployment.prompt);
    world.observe('client', 'inference-output', result.output);
    return { completed: true, output: result.output, matches: toHex(result.output) === toHex(deployment.reference), error: undefined };
  } catch (error) {
    return { completed: false, output: undefined, matches: false, error: isEmuError(error) ? error.message : String(error) };
  } finally {
    connection.close();
  }
}

/** The parent reads every page it can address that holds data, into its ledger; returns how many. */
export function scanParentMemory(world: World, channel: string): number {
  const pages = world.parent.memory.touchedPages();
  for (const address of pages) world.observe('parent-admin', channel, world.parent.memory.read(address, 4096));
  return pages.length;
}

/** DESIGN.md §1 step 11: terminate; returns the frames that went back to the parent (for INV-SCRUB). */
export function teardownEnclave(world: World, enclave: EnclaveRecord, actor = 'parent-admin'): number[] {
  if (enclave.state !== 'running') return [];
  const frames = [...enclave.frames];
  world.host.terminateEnclave(enclave.enclaveId, actor);
  return frames;
}
