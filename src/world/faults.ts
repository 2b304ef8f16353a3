import { VMADDR_CID_PARENT } from '../ports/index.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { KMS_PROXY_PORT } from './parent-services.ts';
import type { World } from './world.ts';

/**
 * Crash and restart hooks for fault plans (swarm testing). Each one acts the way the real failure
 * would reach the other parties: nothing here touches a principal's secrets or skips a defence.
 */

/** Who the audit log names for a failure no principal caused. */
export const FAULT_ACTOR = 'platform-fault';

/**
 * The enclave dies at this point (a kernel panic, an OOM kill): the hypervisor stops it, scrubs and
 * returns its pages exactly as on a normal terminate. Returns the frames that went back to the
 * parent (for INV-SCRUB), or none when it was not running any more.
 */
export function crashEnclave(world: World, enclave: EnclaveRecord): number[] {
  if (enclave.state !== 'running') return [];
  const frames = [...enclave.frames];
  world.sim.record('fault.enclave-crash', { enclaveId: enclave.enclaveId });
  world.host.terminateEnclave(enclave.enclaveId, FAULT_ACTOR);
  return frames;
}

/** KMS is unreachable in [fromNs, untilNs) of virtual time: connections refused, or replies lost. */
export function scheduleKmsOutage(world: World, window: { readonly fromNs: number; readonly untilNs: number; readonly mode: 'refuse' | 'drop' }): void {
  const { fromNs, untilNs, mode } = window;
  world.kmsEndpoint.outage = (nowNs) => (nowNs >= fromNs && nowNs < untilNs ? mode : undefined);
  world.sim.record('fault.kms-outage', { fromNs, untilNs, mode });
}

/**
 * The parent's vsock-proxy process dies: the relays it runs close (the enclave sees its KMS
 * connection end) and its port refuses until `restartParentProxy`.
 */
export function crashParentProxy(world: World): boolean {
  return world.parent.vsock.crash({ cid: VMADDR_CID_PARENT, port: KMS_PROXY_PORT });
}

/** The proxy is started again (systemd's Restart=always): new connections are relayed as before. */
export function restartParentProxy(world: World): boolean {
  return world.parent.vsock.restart({ cid: VMADDR_CID_PARENT, port: KMS_PROXY_PORT });
}
