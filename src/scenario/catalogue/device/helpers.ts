// What the DEV scenarios share: the attacker's own hardware (a device of another vendor PKI, built without a
// firewall), the harvest of device memory through a management plane, and the checks that see weights on a device
// the enclave should never have trusted. Attack code goes only through the attacker handles.
import {
  createAcceleratorDevice,
  createVendor,
  type AcceleratorFlavour,
  type EmulatedAccelerator,
} from '../../../accelerator/index.ts';
import type { InstalledDeviceInfo } from '../../../hypervisor/index.ts';
import type { CheckVerdict, OperatorHandle, ScenarioContext } from '../../define.ts';
import { operator } from '../operator/helpers.ts';

/** How much device memory a harvest reads from address 0 (the driver lays the weights out from there). */
export const HARVEST_BYTES = 1 << 20;

/** The teaching text's note for a Trainium-flavoured run. */
export const TRAINIUM_ASSUMED =
  'On Trainium the trust model is ASSUMED: the Nitro controller vouching for the device is a design AWS has not published.';

export function deviceOperator(ctx: ScenarioContext): Required<Pick<OperatorHandle, 'listDevices' | 'readDeviceMemory' | 'devicePerfCounters' | 'resetDevice' | 'stageDeviceFirmware' | 'setDevicePendingMode' | 'deviceDma' | 'swapDevice'>> {
  const op = operator(ctx);
  const { listDevices, readDeviceMemory, devicePerfCounters, resetDevice, stageDeviceFirmware, setDevicePendingMode, deviceDma, swapDevice } = op;
  if (
    listDevices === undefined || readDeviceMemory === undefined || devicePerfCounters === undefined || resetDevice === undefined ||
    stageDeviceFirmware === undefined || setDevicePendingMode === undefined || deviceDma === undefined || swapDevice === undefined
  ) {
    throw new Error('the operator handle lacks the accelerator calls (a world without accelerators?)');
  }
  return { listDevices, readDeviceMemory, devicePerfCounters, resetDevice, stageDeviceFirmware, setDevicePendingMode, deviceDma, swapDevice };
}

export function firstDevice(op: { listDevices(): InstalledDeviceInfo[] }): InstalledDeviceInfo {
  const [slot] = op.listDevices();
  if (slot === undefined) throw new Error('the host has no accelerator');
  return slot;
}

/**
 * The attacker's own device: same product, its own vendor PKI (same names, other keys), built without a memory
 * firewall because its builder wants to read it.
 */
export function attackerHardware(ctx: ScenarioContext, flavour: AcceleratorFlavour, purpose: string): { device: EmulatedAccelerator; vendorRootDer: Uint8Array } {
  const random = ctx.world.sim.prng(`attacker.device.${purpose}`);
  const vendor = createVendor(random, flavour);
  return { device: createAcceleratorDevice({ vendor, flavour, random, index: 0, defences: { memoryFirewall: false } }), vendorRootDer: vendor.rootDer };
}

export function attackerDevice(ctx: ScenarioContext, flavour: AcceleratorFlavour, purpose: string): EmulatedAccelerator {
  return attackerHardware(ctx, flavour, purpose).device;
}

/** Reads device memory from 0 through the operator's management plane (all-ones where the firewall holds). */
export function harvest(ctx: ScenarioContext, read: (deviceId: string, address: number, length: number) => Uint8Array, deviceId: string): void {
  const bytes = read(deviceId, 0, HARVEST_BYTES);
  const firewalled = bytes.every((b) => b === 0xff);
  const empty = bytes.every((b) => b === 0);
  ctx.note(`device ${deviceId.slice(0, 8)} memory read: ${firewalled ? 'all-ones (firewalled)' : empty ? 'all zeros' : `${bytes.length} bytes with data`}`);
}

/** Whether the enclave's app put the model on its devices (its own `model-loaded` event with devices). */
export function modelOnDevices(ctx: ScenarioContext): boolean {
  return ctx.world.sim.trace.events.some((e) => e.kind === 'app.enclave.model-loaded' && Number(e.fields['devices'] ?? 0) > 0);
}

/** The app's refusal of a device, if it refused one. */
export function deviceRefusal(ctx: ScenarioContext): string | undefined {
  const refused = ctx.world.sim.trace.events.find((e) => e.kind === 'app.enclave.device-refused');
  return refused === undefined ? undefined : String(refused.fields['code']);
}

/** A scenario check: the weights must not have gone to a device that `why` disqualifies. */
export function weightsNotOn(ctx: ScenarioContext, disqualified: boolean, why: string): CheckVerdict {
  const loaded = modelOnDevices(ctx);
  const held = !(loaded && disqualified);
  return {
    invariant: 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE',
    held,
    detail: held ? `no weights went to a device ${why}${loaded ? '' : ' (the model was not loaded on any device)'}` : `the enclave loaded the weights onto a device ${why}`,
  };
}

/** Notes how the launch went: ready, or the app's typed refusal of the device. */
export function noteLaunch(ctx: ScenarioContext, launched: { readonly ready: boolean; readonly failure: string | undefined }): void {
  const refusal = deviceRefusal(ctx);
  ctx.note(`launch: ${launched.ready ? 'ready' : `stopped (${launched.failure ?? 'no reason'})`}${refusal === undefined ? '' : `; the app refused the device: ${refusal}`}`);
}

export { standardVendor as standardVendorFor } from '../../../world/index.ts';
