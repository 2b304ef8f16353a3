import type { World } from './world.ts';

/** The app's own report of each device it attested (its `enclave.device-attested` events). */
function attestedEvents(world: World): Readonly<Record<string, unknown>>[] {
  return world.sim.trace.events.filter((e) => e.kind === 'app.enclave.device-attested').map((e) => e.fields);
}

function refusal(world: World): string | undefined {
  const refused = world.sim.trace.events.find((e) => e.kind === 'app.enclave.device-refused');
  return refused === undefined ? undefined : String(refused.fields['code']);
}

export interface AcceleratorSummary {
  readonly flavour: string;
  readonly count: number;
  readonly path: 'confidential' | 'plain';
  readonly trustModel: string;
  /** 'assumed' marks the platform-mediated design AWS has not published. */
  readonly label: string;
  readonly attested: number;
  readonly refused?: string;
  readonly deviceBusyNs: number;
}

export function acceleratorSummary(world: World): AcceleratorSummary {
  const first = world.accelerators[0]!;
  const events = attestedEvents(world);
  const refused = refusal(world);
  return {
    flavour: first.flavour,
    count: world.accelerators.length,
    path: world.defences.deviceConfidentialPath ? 'confidential' : 'plain',
    trustModel: first.trustModel,
    label: first.trustModel === 'platform-mediated-assumed' ? 'assumed' : 'published',
    attested: events.filter((e) => e['path'] === 'confidential').length,
    ...(refused !== undefined ? { refused } : {}),
    deviceBusyNs: world.accelerators.reduce((sum, d) => sum + d.busyNs, 0),
  };
}

/** DESIGN.md §1 steps 7–8, narrated from what the app reported and what the devices did. */
export function describeAcceleratorStep(world: World, ready: boolean): { title: string; what: string; readers: string } {
  const summary = acceleratorSummary(world);
  const devices = `${summary.count} ${summary.flavour === 'gpu' ? 'GPU' : 'Trainium'} device${summary.count > 1 ? 's' : ''}`;
  if (summary.path === 'plain') {
    return {
      title: 'Enclave loads the model onto the accelerators (plain path, CC off)',
      what: `${devices} in mode off: no attestation; weights, token ids and logits crossed the staging buffers in plaintext`,
      readers: 'the parent-admin could read every byte that crossed (the negative control of the confidential path)',
    };
  }
  if (!ready || summary.refused !== undefined) {
    return {
      title: 'Enclave attests the accelerators',
      what: `${devices}: ${summary.refused !== undefined ? `refused (${summary.refused}); no key and no weight reached a device` : 'not reached: the enclave stopped before'}`,
      readers: 'nothing secret crossed',
    };
  }
  const how =
    summary.trustModel === 'spdm-direct'
      ? 'SPDM 1.1 GET_MEASUREMENTS with a fresh nonce over the parent-relayed mailbox → chain to the pinned vendor root → signed measurements, mode, firmware svn against the measured policy'
      : 'the Nitro controller measured each device over SPDM and signed an endorsement chained to the Nitro root (platform-mediated: an ASSUMED design, AWS has not published one) → claims against the measured policy';
  const group = summary.count > 1 ? `; link keys issued to the ${(summary.count * (summary.count - 1)) / 2} attested pair(s) for encrypted device-to-device copies` : '';
  return {
    title: 'Enclave attests the accelerators and streams the weights',
    what: `${devices}: ${how} → KEY_EXCHANGE/FINISH (ECDHE P-384) → SET_READY inside the session${group}; weights went through AES-256-GCM bounce buffers (IV = counter XOR mask, tag checked before the device writes) into protected device memory`,
    readers: 'the parent saw certificates and signed measurements (public) and only ciphertext in the staging and link slots',
  };
}

/** After terminate: every device the enclave held was reset (scrubbed) before it could go to anyone else. */
export function describeAcceleratorTeardown(world: World): string {
  if (world.accelerators.length === 0) return '';
  const resets = world.sim.trace.events.filter((e) => e.kind === 'host.device-released').length;
  return `${resets} of ${world.accelerators.length} device(s) released${world.defences.deviceResetOnReassign ? ' after a reset with verified scrub' : ' WITHOUT a reset (negative control)'}`;
}
