import { isEmuError } from '../errors.ts';
import type { World } from './world.ts';

/** A page of device memory where the first weight tensor lives (the driver's layout starts at 0). */
const PROBE_ADDRESS = 0;
const PROBE_BYTES = 4096;

function outcome(run: () => string): string {
  try {
    return run();
  } catch (error) {
    return isEmuError(error) ? `refused (${error.code})` : `failed (${String(error)})`;
  }
}

/**
 * What the parent-admin and the operator may try on the accelerators by design (PA-17, OP-09): the parent holds the
 * PCIe function (BAR reads, work submission, its staging memory), the operator the management plane. Everything
 * they get goes to their ledgers.
 */
export function probeAccelerators(world: World): Record<string, string> {
  const probes: Record<string, string> = {};
  for (const [index, device] of world.accelerators.entries()) {
    const view = world.host.parentDeviceView(world.parent.instanceId, device.deviceId);
    probes[`device${index}ParentBarRead`] = outcome(() => {
      const bytes = view.mgmtRead(PROBE_ADDRESS, PROBE_BYTES);
      world.observe('parent-admin', `device ${index} BAR read`, bytes);
      return bytes.every((b) => b === 0xff) ? 'all-ones (firewalled)' : `${bytes.length} bytes read`;
    });
    probes[`device${index}ParentSubmit`] = outcome(() => {
      view.submit({ id: 0xbad, op: 'copy-out', stagingSlot: 0, deviceAddress: PROBE_ADDRESS, length: PROBE_BYTES });
      view.doorbell();
      const bytes = view.staging.read(0);
      world.observe('parent-admin', `device ${index} parent copy-out`, bytes);
      return `accepted (${bytes.length} bytes copied out)`;
    });
    probes[`device${index}OperatorRead`] = outcome(() => {
      const bytes = world.host.operator.readDeviceMemory(device.deviceId, PROBE_ADDRESS, PROBE_BYTES);
      world.observe('operator', `operator device ${index} memory read`, bytes);
      return bytes.every((b) => b === 0xff) ? 'all-ones (firewalled)' : `${bytes.length} bytes read`;
    });
    const counters = world.host.operator.devicePerfCounters(device.deviceId);
    probes[`device${index}PerfCounters`] = counters === null ? 'none (confidential mode)' : JSON.stringify(counters);
  }
  return probes;
}
