import { EmuError } from '../../errors.ts';
import { attachDevice } from './attach.ts';
import { type DriverEventSink, resolveDefences } from './defences.ts';
import { formDeviceGroup } from './group.ts';
import type { AcceleratorDriver, AttachedDevice, DriverOptions, GenerateResult, LoadedModel } from './index.ts';
import { type DeviceLink, usableLink } from './link.ts';
import { loadWeights } from './loader.ts';
import { runGeneration } from './pipeline.ts';
import type { ModelPlan } from './plan.ts';
import { closeSession } from './session.ts';

/**
 * A loaded model's handle carries this symbol-keyed token (copied by a spread, so a caller may decorate the handle);
 * only the driver that issued the token can map it back to its plan.
 */
const MODEL_TOKEN = Symbol('nitro-emu.driver.model');

/** Devices one driver instance drives at once; a bound on its registry, far above any pipeline. */
export const DRIVER_DEVICES_MAX = 256;

/**
 * The driver's state lives in this closure: the links (sessions, channel keys) of the devices it attached, and the
 * plans of the models it loaded. Callers hold only AttachedDevice and LoadedModel handles, which carry no keys; a
 * handle this driver did not issue is refused.
 */
export function createDriver(options: DriverOptions): AcceleratorDriver {
  const defences = resolveDefences(options.defences);
  const sink = options.onEvent;
  const emit: DriverEventSink = (kind, fields) => sink?.(kind, fields);
  const links = new Map<AttachedDevice, DeviceLink>();
  const models = new WeakMap<object, ModelPlan>();
  const pairs = new Set<string>();
  const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

  function linkOf(device: AttachedDevice): DeviceLink {
    const link = links.get(device);
    if (link === undefined) {
      throw new EmuError('DRIVER_NOT_ATTACHED', `device ${device.port.deviceId} was not attached by this driver`, {
        deviceId: device.port.deviceId,
      });
    }
    usableLink(link);
    return link;
  }

  function register(device: AttachedDevice, link: DeviceLink): void {
    if (links.size >= DRIVER_DEVICES_MAX) throw new EmuError('DRIVER_TOO_MANY_DEVICES', `at most ${DRIVER_DEVICES_MAX} devices per driver`);
    links.set(device, link);
  }

  function checkGroupFormed(plan: ModelPlan): void {
    for (let i = 0; i + 1 < plan.stages.length; i++) {
      const a = plan.stages[i]!.link.port.deviceId;
      const b = plan.stages[i + 1]!.link.port.deviceId;
      if (!pairs.has(pairKey(a, b))) {
        throw new EmuError('DRIVER_GROUP_NOT_FORMED', `devices ${a} and ${b} share no link key: form the group first`, { a, b });
      }
    }
  }

  return {
    attach(port) {
      if (links.size >= DRIVER_DEVICES_MAX) throw new EmuError('DRIVER_TOO_MANY_DEVICES', `at most ${DRIVER_DEVICES_MAX} devices per driver`);
      const { device, link } = attachDevice(
        { random: options.random, policy: options.policy, path: options.path, defences, chunkBytes: options.chunkBytes, emit },
        port,
      );
      register(device, link);
      return device;
    },

    formGroup(devices) {
      formDeviceGroup(
        {
          random: options.random, defences, emit, chunkBytes: options.chunkBytes, path: options.path,
          linkOf: (device) => links.get(device),
          adopt: register,
          pairFormed: (a, b) => pairs.add(pairKey(a, b)),
        },
        devices,
      );
    },

    loadModel(devices, weights) {
      const deviceLinks = devices.map(linkOf);
      const loaded = loadWeights(deviceLinks, weights, (link) => link.chunkBytes, emit);
      const token = Object.freeze({});
      models.set(token, loaded.plan);
      const model: LoadedModel = Object.freeze({
        devices: Object.freeze([...devices]),
        parameterCount: loaded.parameterCount,
        weightBytes: loaded.weightBytes,
        [MODEL_TOKEN]: token,
      });
      emit('driver.load.done', { devices: devices.length, weightBytes: loaded.weightBytes, deviceNs: loaded.busyNs });
      return model;
    },

    generate(model, promptTokens, newTokens): GenerateResult {
      const token = (model as { [MODEL_TOKEN]?: unknown })[MODEL_TOKEN];
      const plan = typeof token === 'object' && token !== null ? models.get(token) : undefined;
      if (plan === undefined) throw new EmuError('DRIVER_UNKNOWN_MODEL', 'this model was not loaded by this driver');
      for (const stage of plan.stages) usableLink(stage.link);
      if (options.path === 'confidential') checkGroupFormed(plan);
      const result = runGeneration({ chunkBytesOf: (link) => link.chunkBytes, emit }, plan, promptTokens, newTokens);
      return Object.freeze({ tokens: Object.freeze(result.tokens), deviceNs: result.deviceNs });
    },

    detach(device) {
      const link = links.get(device);
      if (link === undefined || link.detached) {
        throw new EmuError('DRIVER_NOT_ATTACHED', `device ${device.port.deviceId} is not attached to this driver`);
      }
      closeSession(link, emit);
      link.detached = true;
      links.delete(device);
      emit('driver.detach', { deviceId: device.port.deviceId });
    },
  };
}
