import { concatBytes, fromUtf8 } from '../crypto/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import type { AttestationFields, EnclaveRecord, ParentInstance, VolumeFile } from '../hypervisor/index.ts';
import { FramedConnection, VMADDR_CID_PARENT } from '../ports/index.ts';
import { launchEnclave, startParentServices, type LaunchedEnclave, type World } from '../world/index.ts';
import type { AttackerHandles, CoTenantHandle, OperatorHandle, ParentAdminHandle } from './define.ts';
import type { Principal } from './principals.ts';
import type { Cluster } from '../cluster/index.ts';
import { instanceDeviceHandle, operatorDeviceCalls } from './capabilities-devices.ts';

/** The co-tenant's IAM role: another AWS account, so KMS's policies for the model key never name it. */
export const CO_TENANT_ROLE_ARN = 'arn:aws:iam::444455556666:role/co-tenant-role';
const CO_TENANT_MEMORY_MIB = 1024;
const ENCLAVE_MEMORY_MIB_DEFAULT = 256;

type ToBytes<T> = (value: T) => Uint8Array | string | undefined;

/** A failed capability call: the message of a typed refusal is filed (error text can carry secrets too); rethrows. */
function fileRefusal(world: World, principal: Principal, channel: string, error: unknown): never {
  if (isEmuError(error)) world.observe(principal, `${channel} error`, error.message);
  throw error;
}

/** A capability call's result: filed in the attacker's ledger (unless `toBytes` gives nothing), and returned. */
function fileResult<T>(world: World, principal: Principal, channel: string, value: T, toBytes: ToBytes<T>): T {
  const bytes = toBytes(value);
  if (bytes !== undefined) world.observe(principal, channel, bytes);
  return value;
}

/**
 * Wraps one capability call: what it returns is filed in the attacker's ledger, and so is the message
 * of a typed refusal (error text can carry secrets too). Programmer errors pass through untouched.
 */
function ledgered<T>(world: World, principal: Principal, channel: string, call: () => T, toBytes: ToBytes<T>): T {
  let value: T;
  try {
    value = call();
  } catch (error) {
    return fileRefusal(world, principal, channel, error);
  }
  return fileResult(world, principal, channel, value, toBytes);
}

/** `ledgered` for a call that completes later. */
async function ledgeredAsync<T>(world: World, principal: Principal, channel: string, call: () => Promise<T>, toBytes: ToBytes<T>): Promise<T> {
  let value: T;
  try {
    value = await call();
  } catch (error) {
    return fileRefusal(world, principal, channel, error);
  }
  return fileResult(world, principal, channel, value, toBytes);
}

function launchSummary(launched: LaunchedEnclave): string {
  const { record } = launched;
  return JSON.stringify({ enclaveId: record.enclaveId, cid: record.cid, pcrs: record.pcrs, ready: launched.ready, failure: launched.failure ?? null });
}

/** The handle of a customer admin over its own instance (the parent's, or the co-tenant's). */
function instanceHandle(world: World, instance: ParentInstance, principal: Principal): CoTenantHandle {
  const own = (enclaveId: string): EnclaveRecord => {
    const record = world.host.enclaves.find((e) => e.enclaveId === enclaveId && e.parent === instance);
    // Another instance's enclave is invisible from here, exactly like one that does not exist.
    if (record === undefined) throw new EmuError('HV_NO_SUCH_ENCLAVE', `no enclave ${enclaveId} on instance ${instance.instanceId}`);
    return record;
  };
  return {
    instanceId: instance.instanceId,
    readMemory: (address, length) => ledgered(world, principal, 'memory-read', () => instance.memory.read(address, length), (b) => b),
    scanMemory: (channel = 'memory-read') => {
      const pages = instance.memory.touchedPages();
      for (const address of pages) world.observe(principal, channel, instance.memory.read(address, 4096));
      return pages.length;
    },
    readDisk: (path) => ledgered(world, principal, `disk-read ${path}`, () => instance.disk.read(path), (b) => b),
    writeDisk: (path, data) => ledgered(world, principal, `disk-write ${path}`, () => instance.disk.write(path, data), () => undefined),
    listDisk: () => ledgered(world, principal, 'disk-list', () => instance.disk.list(), (names) => JSON.stringify(names)),
    kms: (operation, body) => {
      const roleArn = instance.info.roleArn;
      if (roleArn === null) return Promise.reject(new EmuError('IAM_NO_ROLE', `instance ${instance.instanceId} has no IAM role`));
      return ledgeredAsync(
        world,
        principal,
        `kms-reply ${operation}`,
        () => world.kmsEndpoint.call(principal, { arn: roleArn }, operation, body),
        (reply) => JSON.stringify(reply.body),
      );
    },
    launchEnclave: (options) =>
      ledgeredAsync(
        world,
        principal,
        'enclave-launch',
        async () => {
          if (instance === world.parent) return launchEnclave(world, options);
          const record = world.host.launchEnclave(instance, options.image ?? world.approvedImage, {
            memoryMiB: options.memoryMiB ?? ENCLAVE_MEMORY_MIB_DEFAULT,
            cpuCount: 2,
            debugMode: options.debugMode ?? false,
          });
          try {
            await record.started;
            return { record, ready: true, failure: undefined };
          } catch (error) {
            return { record, ready: false, failure: isEmuError(error) ? error.message : String(error) };
          }
        },
        launchSummary,
      ),
    terminateEnclave: (enclaveId) =>
      ledgered(world, principal, 'enclave-terminate', () => world.host.terminateEnclave(own(enclaveId).enclaveId, principal), () => undefined),
    // Console lines are filed in the ledger as they are printed; this only reads them back.
    consoleLines: () =>
      world.ledger
        .of(principal)
        .filter((o) => o.channel.startsWith('console ') && o.bytes !== undefined)
        .map((o) => fromUtf8(o.bytes as Uint8Array)),
    // Bytes that arrive on the connection are filed by the vsock bus under the instance's principal.
    connectToEnclave: async (cid, port) =>
      new FramedConnection(
        await ledgeredAsync(world, principal, 'vsock-connect', () => instance.vsock.connect(VMADDR_CID_PARENT, { cid, port }), () => undefined),
      ),
    ...(world.accelerators.length === 0
      ? {}
      : { devices: instanceDeviceHandle(world, instance, principal, (channel, call, toBytes) => ledgered(world, principal, channel, call, toBytes)) }),
  };
}

export function parentAdminHandle(world: World): ParentAdminHandle {
  return { ...instanceHandle(world, world.parent, 'parent-admin'), relay: world.relayControl };
}

export function operatorHandle(world: World): OperatorHandle {
  const api = world.host.operator;
  const dump = api.dumpGuestMemory;
  const base: OperatorHandle = {
    listInstances: () => ledgered(world, 'operator', 'operator-api listInstances', () => api.listInstances(), (v) => JSON.stringify(v)),
    metrics: (instanceId) => ledgered(world, 'operator', 'operator-api metrics', () => api.metrics(instanceId), (v) => JSON.stringify(v)),
    stopInstance: (instanceId) => ledgered(world, 'operator', 'operator-api stopInstance', () => api.stopInstance(instanceId), () => undefined),
    startInstance: (instanceId) => ledgered(world, 'operator', 'operator-api startInstance', () => api.startInstance(instanceId), () => undefined),
    dumpGuestMemory:
      dump === undefined
        ? undefined
        : (instanceId) => ledgered(world, 'operator', 'operator-api dumpGuestMemory', () => dump(instanceId), (b) => b),
  };
  // Descriptors, not a spread: a spread would read the firmware console's getter once, now.
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(operatorHostCalls(world)));
}

/** The OP group's calls (host folder): each result is filed in the operator's ledger as it is returned. */
function operatorHostCalls(world: World): Partial<OperatorHandle> {
  const api = world.host.operator;
  const op = <T>(name: string, call: () => T, toBytes: ToBytes<T>) => ledgered(world, 'operator', `operator-api ${name}`, call, toBytes);
  const volumeBytes = (files: readonly VolumeFile[]) => concatBytes(...files.map((f) => f.data));
  const vcpu = api.readVcpuState;
  const snapshot = api.snapshotInstance;
  const shell = api.openShell;
  const rewrite = api.rewriteAuditLog;
  return {
    // Present even on a host without accelerators: the operator can still put a device of its own in a slot (OP-03).
    ...operatorDeviceCalls(world, op),
    killEnclave: (enclaveId) => op('killEnclave', () => api.killEnclave(enclaveId), () => undefined),
    snapshotVolume: (instanceId) => op('snapshotVolume', () => api.snapshotVolume(instanceId), volumeBytes),
    currentFirmware: () => op('currentFirmware', () => api.currentFirmware(), (b) => b),
    deployFirmware: (image) => op('deployFirmware', () => api.deployFirmware(image), (v) => JSON.stringify(v)),
    // Looked up on each use: a debug console appears only once a debug build has booted.
    get firmwareConsole() {
      const console = api.firmwareConsole;
      if (console === undefined) return undefined;
      return {
        attest: (instanceId: string, fields: AttestationFields) => op('firmwareConsole.attest', () => console.attest(instanceId, fields), (b) => b),
        // Bytes that arrive on the connection are filed by the vsock bus under the operator.
        connectVsock: async (instanceId: string, port: number) => new FramedConnection(await console.connectVsock(instanceId, port)),
      };
    },
    rewriteAuditLog: rewrite === undefined ? undefined : (keep) => op('rewriteAuditLog', () => rewrite(keep), (n) => String(n)),
    readVcpuState: vcpu === undefined ? undefined : (enclaveId) => op('readVcpuState', () => vcpu(enclaveId), (b) => b),
    snapshotInstance:
      snapshot === undefined ? undefined : (instanceId) => op('snapshotInstance', () => snapshot(instanceId), (s) => concatBytes(s.memory, volumeBytes(s.volume))),
    openShell:
      shell === undefined
        ? undefined
        : () => {
            const opened = op('openShell', () => shell(), () => undefined);
            return { exec: (command: string) => op(`shell ${command.slice(0, 40)}`, () => opened.exec(command), (text) => text) };
          },
  };
}

/**
 * Another customer's instance on the same host, with its own vsock domain and the same parent
 * services (so its enclaves reach KMS with the co-tenant's role). Created on first use only, so
 * scenarios of other attackers keep the world they had.
 */
export function coTenantHandle(world: World): CoTenantHandle {
  const instance = world.host.createInstance({ principal: 'co-tenant', roleArn: CO_TENANT_ROLE_ARN, memoryMiB: CO_TENANT_MEMORY_MIB, cpuCount: 4 });
  startParentServices({ vsock: instance.vsock, parent: instance, kms: world.kmsEndpoint, control: { filter: undefined, kmsRoute: undefined } });
  return instanceHandle(world, instance, 'co-tenant');
}

/**
 * Only the handles the attacker's principal holds; every other principal gets none. The network attacker exists only
 * on a cluster: its handle is the cluster's, which files every byte it sees under 'network'.
 */
export function handlesFor(world: World, attacker: Principal, cluster?: Cluster): AttackerHandles {
  switch (attacker) {
    case 'network':
      return cluster === undefined ? {} : { network: cluster.network };
    case 'parent-admin':
      return { 'parent-admin': parentAdminHandle(world) };
    case 'operator':
      return { operator: operatorHandle(world) };
    case 'co-tenant':
      return { 'co-tenant': coTenantHandle(world) };
    default:
      return {};
  }
}
