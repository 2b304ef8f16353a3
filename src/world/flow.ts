import { toBase64, toHex } from '../crypto/index.ts';
import type { Leak, PrincipalSummary } from '../scenario/index.ts';
import { checkInvariants, type InvariantVerdict } from './invariants.ts';
import {
  ENCRYPTION_CONTEXT,
  PATHS,
  clientInference,
  deployModel,
  launchEnclave,
  scanParentMemory,
  teardownEnclave,
  type InferenceOutcome,
  type LaunchedEnclave,
} from './phases.ts';
import { DOCUMENT_MAX_AGE_MS, type World } from './world.ts';
import { acceleratorSummary, describeAcceleratorStep, describeAcceleratorTeardown } from './device-flow.ts';
import { probeAccelerators } from './device-probes.ts';

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
  readonly inference: {
    readonly completed: boolean;
    readonly outputHex: string;
    readonly referenceHex: string;
    readonly matches: boolean;
    readonly error?: string;
  };
  readonly probes: Readonly<Record<string, string>>;
  readonly invariants: Readonly<Record<string, InvariantVerdict>>;
  readonly leaks: readonly Leak[];
  readonly ledger: Readonly<Record<string, PrincipalSummary>>;
  /** Present when the world has accelerators. */
  readonly accelerators?: ReturnType<typeof acceleratorSummary>;
}

/**
 * DESIGN.md §1 steps 1–6 for real, then attested inference and teardown, with the parent-admin and
 * the operator doing everything their principals may do along the way. Every step is narrated.
 */
export async function runFlow(world: World, onStep: (step: FlowStep) => void = () => undefined): Promise<FlowReport> {
  const { sim, arns } = world;
  const steps: FlowStep[] = [];
  const probes: Record<string, string> = {};
  const say = (title: string, what: string, readers: string) => {
    const step = { step: steps.length + 1, title, what, readers, timeNs: sim.nowNs };
    steps.push(step);
    sim.record('flow.step', { step: step.step, title });
    onStep(step);
  };
  let launched: LaunchedEnclave | undefined;
  let inference: InferenceOutcome | undefined;
  let referenceHex = '';
  const releasedFrames: number[] = [];

  const work = async () => {
    const deployment = await deployModel(world);
    referenceHex = toHex(deployment.reference);
    say(
      'Owner creates the model key',
      world.defences.attestedKeyPolicy
        ? `KMS key ${deployment.keyId}: Decrypt only for a Recipient whose PCR0 (ImageSha384) is ${world.approvedPcr0.slice(0, 16)}…`
        : `KMS key ${deployment.keyId}: the parent's role may Decrypt with no attestation (negative control)`,
      'owner and KMS; the policy is not secret',
    );
    say(
      'Owner envelope-encrypts the weights',
      `GenerateDataKey → AES-256 data key; ${deployment.modelFile.length} bytes of weights sealed in ${Math.ceil(deployment.modelFile.length / 65536)} AES-256-GCM frames; ciphertext and the KMS-encrypted data key go to the parent's disk`,
      'the parent-admin holds only ciphertext',
    );

    const current = (launched = await launchEnclave(world));
    const enclave = current.record;
    say(
      'Parent launches the enclave',
      `${enclave.enclaveId} (CID ${enclave.cid}): 2 vCPUs and 256 MiB carved out of the parent, PCR0 ${enclave.pcrs[0]?.slice(0, 16)}…${enclave.debugMode ? ' (debug mode: PCR0 reads as zero)' : ''}`,
      'the enclave pages are no longer the parent’s',
    );
    if (!current.ready) probes['enclave'] = current.failure ?? 'stopped';
    say(
      'Enclave attests and asks KMS for the data key',
      current.ready
        ? 'RSA-2048 key pair → NSM attestation document with the public key → Decrypt with Recipient through the parent’s vsock-proxy → KMS verified the document and the policy → CiphertextForRecipient (CMS to the enclave key) → weights decrypted frame by frame inside'
        : `KMS refused: ${probes['enclave']}`,
      'the parent relayed the document and CMS ciphertext it cannot open; only the enclave could decrypt the data key',
    );

    if (world.accelerators.length > 0) {
      const step = describeAcceleratorStep(world, current.ready);
      say(step.title, step.what, step.readers);
    }

    if (current.ready) {
      inference = await clientInference(world, enclave, deployment);
      say(
        'Client attests the enclave and runs inference',
        inference.completed
          ? `the client verified the enclave's document (root, PCR0, its nonce), sent its prompt under an ECDH-derived key, and got ${deployment.reference.length} bytes of output ${inference.matches ? 'equal to' : 'DIFFERENT from'} the plaintext reference`
          : `inference failed: ${inference.error}`,
        'the parent relayed ciphertext only',
      );
    }

    // What the parent-admin may do by design: read its memory and disk, call KMS with its own role.
    const direct = await world.kmsEndpoint.call('parent-admin', { arn: arns.parentRole }, 'Decrypt', {
      KeyId: deployment.keyId,
      CiphertextBlob: toBase64(world.parent.disk.read(PATHS.dataKey)),
      EncryptionContext: ENCRYPTION_CONTEXT,
    });
    probes['parentDirectDecrypt'] = direct.status === 200 ? 'released' : String(direct.body['__type']);
    probes['parentMemoryScan'] = `${scanParentMemory(world, 'memory-read')} pages read`;
    Object.assign(probes, probeAccelerators(world));
    for (const line of [JSON.stringify(world.host.operator.listInstances()), JSON.stringify(world.host.operator.metrics(world.parent.instanceId))]) {
      world.observe('operator', 'operator-api', line);
    }
    // Only a conventional hypervisor has this call; on a Nitro-style host the attempt has nothing to call.
    const dumped = world.host.operator.dumpGuestMemory?.(world.parent.instanceId);
    probes['operatorMemoryDump'] = dumped === undefined ? 'no such API' : `${dumped.length} bytes dumped`;
    if (dumped !== undefined) world.observe('operator', 'operator-api dumpGuestMemory', dumped);
    say(
      'The parent-admin and the operator try what they can',
      `parent Decrypt with its own role and no attestation: ${probes['parentDirectDecrypt']}; parent read ${probes['parentMemoryScan']} of its memory; operator listed instances and metrics; operator memory dump: ${probes['operatorMemoryDump']}${
        world.accelerators.length > 0
          ? `; accelerator 0: parent BAR read ${probes['device0ParentBarRead']}, parent work submission ${probes['device0ParentSubmit']}, operator memory read ${probes['device0OperatorRead']}`
          : ''
      }`,
      'their ledgers are scanned for canaries below',
    );

    releasedFrames.push(...teardownEnclave(world, enclave));
    probes['memoryAfterRelease'] = `${scanParentMemory(world, 'memory-read after release')} pages read`;
    const deviceTeardown = describeAcceleratorTeardown(world);
    if (deviceTeardown !== '') probes['devicesAfterRelease'] = deviceTeardown;
    say(
      'Teardown',
      `terminate-enclave: ${world.defences.scrubOnRelease ? 'the enclave pages were zeroed, then returned to the parent' : 'pages returned WITHOUT scrubbing (negative control)'}; the parent read its memory again`,
      `the parent reads only zeros where the enclave was${deviceTeardown === '' ? '' : `; accelerators: ${deviceTeardown}`}`,
    );
  };

  await sim.runUntil(work());
  const { verdicts, leaks } = checkInvariants({
    ledger: world.ledger,
    host: world.host,
    kms: world.kms,
    approvedPcr0: world.approvedPcr0,
    ownerArn: arns.owner,
    releasedFrames,
    maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
  });
  const done = inference as InferenceOutcome | undefined;
  const invariants: Record<string, InvariantVerdict> = {
    ...verdicts,
    'FLOW-OUTPUT-MATCHES-REFERENCE': {
      held: done?.completed === true && done.matches,
      detail: done?.completed ? `output ${done.matches ? '==' : '!='} reference` : `no output: ${done?.error ?? probes['enclave'] ?? 'not attempted'}`,
    },
  };
  sim.record('flow.verdicts', Object.fromEntries(Object.entries(invariants).map(([k, v]) => [k, v.held])));
  const record = (launched as LaunchedEnclave | undefined)?.record;
  return {
    seed: sim.seed,
    epochMs: sim.epochMs,
    digest: sim.digest(),
    virtualTimeNs: sim.nowNs,
    steps,
    enclave: record ? { enclaveId: record.enclaveId, pcr0: record.pcrs[0] ?? '', debugMode: record.debugMode } : null,
    approvedPcr0: world.approvedPcr0,
    inference: {
      completed: done?.completed ?? false,
      outputHex: done?.output ? toHex(done.output) : '',
      referenceHex,
      matches: done?.matches ?? false,
      ...(done?.error !== undefined ? { error: done.error } : {}),
    },
    probes,
    invariants,
    leaks,
    ledger: world.ledger.summary(),
    ...(world.accelerators.length > 0 ? { accelerators: acceleratorSummary(world) } : {}),
  };
}
