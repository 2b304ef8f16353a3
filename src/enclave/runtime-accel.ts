import {
  createAcceleratorDriver,
  parseTransformerFile,
  type AcceleratorDriver,
  type AttachedDevice,
  type EnclaveDevicePort,
  type LoadedModel,
} from '../accelerator/index.ts';
import type { RandomSource } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { Simulator } from '../sim/index.ts';
import { parseDevicePolicy } from './device-policy.ts';
import type { AcceleratorPathChoice, AcceleratorSummary, AcceleratorVerdictSummary, EnclaveAccelerators } from './runtime-abi.ts';

/** What the enclave runtime gives the accelerator section of the ABI. */
export interface AcceleratorRuntimeOptions {
  readonly sim: Simulator;
  readonly enclaveId: string;
  /** The devices the hypervisor assigned to this enclave, asked at attach time. */
  readonly ports: () => readonly EnclaveDevicePort[];
  /** The enclave's own entropy (NSM GetRandom). */
  readonly random: () => RandomSource;
  /**
   * The Nitro root the enclave's own attestation documents chain to, and the platform time: the enclave trusts the
   * platform it runs on, so a platform-mediated endorsement must chain to the same root.
   */
  readonly platformTrust: () => { readonly nitroRootDer: Uint8Array; readonly atMs: number };
}

/** Generation is bounded so one request cannot hold the devices for ever. */
export const NEW_TOKENS_MAX = 256;

/** Byte tokens of a prompt, truncated so prompt plus answer fit the model's context. Shared with the world's reference. */
export function promptTokens(prompt: Uint8Array, maxSeq: number, newTokens: number): number[] {
  const room = Math.max(1, maxSeq - newTokens);
  return Array.from(prompt.subarray(0, room));
}

function summary(port: EnclaveDevicePort): AcceleratorSummary {
  return Object.freeze({ deviceId: port.deviceId, flavour: port.flavour, trustModel: port.trustModel });
}

/**
 * Device time is charged to the enclave's virtual clock: every completion carries the cost model's busy time, and
 * the call that caused it sleeps that long before it returns.
 */
function metered(port: EnclaveDevicePort, charge: (ns: number) => void): EnclaveDevicePort {
  const wrapped: EnclaveDevicePort = {
    deviceId: port.deviceId,
    flavour: port.flavour,
    trustModel: port.trustModel,
    spdm: (request) => port.spdm(request),
    staging: port.staging,
    submit: (descriptor) => port.submit(descriptor),
    doorbell: () => port.doorbell(),
    poll: () => {
      const completions = port.poll();
      for (const completion of completions) charge(completion.busyNs);
      return completions;
    },
    ...(port.endorsement ? { endorsement: (nonce: Uint8Array) => port.endorsement!(nonce) } : {}),
  };
  return Object.freeze(wrapped);
}

export function createEnclaveAccelerators(options: AcceleratorRuntimeOptions): EnclaveAccelerators {
  const { sim, enclaveId } = options;
  let driver: AcceleratorDriver | undefined;
  let attached: AttachedDevice[] = [];
  let model: (LoadedModel & { readonly maxSeq: number }) | undefined;
  let pendingNs = 0;
  const charge = (ns: number) => {
    if (Number.isSafeInteger(ns) && ns > 0) pendingNs += ns;
  };
  const settle = async () => {
    const ns = pendingNs;
    pendingNs = 0;
    if (ns > 0) await sim.sleep(ns, `enclave ${enclaveId} accelerator`);
  };
  const record = (kind: string, fields: Readonly<Record<string, string | number | boolean>>) =>
    sim.record(`accel.${kind}`, { enclaveId, ...fields });
  const needDriver = (): AcceleratorDriver => {
    if (driver === undefined) throw new EmuError('ACCEL_NOT_ATTACHED', 'attach the accelerators first');
    return driver;
  };

  return Object.freeze({
    devices: () => options.ports().map(summary),

    attach: async ({ path, policyJson }: { readonly path: AcceleratorPathChoice; readonly policyJson: string }) => {
      if (path !== 'confidential' && path !== 'plain') throw new EmuError('ACCEL_BAD_PATH', `path must be confidential or plain`);
      if (driver !== undefined) throw new EmuError('ACCEL_ALREADY_ATTACHED', 'the accelerators are attached already');
      const ports = options.ports();
      if (ports.length === 0) throw new EmuError('ACCEL_NO_DEVICE', `${enclaveId} has no accelerator assigned`);
      const { driverDefences, ...policy } = parseDevicePolicy(String(policyJson));
      const trust = options.platformTrust();
      const created = createAcceleratorDriver({
        random: options.random(),
        defences: driverDefences,
        policy: { ...policy, nitroRootDer: trust.nitroRootDer, atMs: trust.atMs },
        path,
        onEvent: record,
      });
      const devices: AttachedDevice[] = [];
      try {
        for (const port of ports) devices.push(created.attach(metered(port, charge)));
        if (devices.length > 1 && path === 'confidential') created.formGroup(devices);
      } finally {
        await settle();
      }
      driver = created;
      attached = devices;
      return devices.map((d) =>
        Object.freeze({ ...summary(d.port), mode: d.verdict.mode, svn: d.verdict.svn, firmwareDigestHex: d.verdict.firmwareDigestHex, label: d.verdict.label }),
      ) as readonly AcceleratorVerdictSummary[];
    },

    loadModel: async (weights: Uint8Array) => {
      const active = needDriver();
      const maxSeq = parseTransformerFile(weights).maxSeq;
      try {
        model = Object.freeze({ ...active.loadModel(attached, weights), maxSeq });
      } finally {
        await settle();
      }
      return Object.freeze({ parameterCount: model.parameterCount, weightBytes: model.weightBytes, devices: attached.length });
    },

    generate: async (tokens: readonly number[], newTokens: number) => {
      const active = needDriver();
      if (model === undefined) throw new EmuError('ACCEL_NO_MODEL', 'load a model first');
      if (!Number.isSafeInteger(newTokens) || newTokens < 1 || newTokens > NEW_TOKENS_MAX) {
        throw new EmuError('ACCEL_BAD_REQUEST', `newTokens must be 1…${NEW_TOKENS_MAX}`);
      }
      try {
        return Object.freeze([...active.generate(model, [...tokens], newTokens).tokens]);
      } finally {
        await settle();
      }
    },

    tokenize: (prompt: Uint8Array, newTokens: number) => {
      if (model === undefined) throw new EmuError('ACCEL_NO_MODEL', 'load a model first');
      return Object.freeze(promptTokens(prompt, model.maxSeq, newTokens));
    },

    detach: () => {
      for (const device of attached) driver?.detach(device);
      attached = [];
      model = undefined;
      driver = undefined;
    },
  });
}
