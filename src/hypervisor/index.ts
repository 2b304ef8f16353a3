export { Host, type HostOptions, type EnclaveLaunchOptions, type EnclaveRecord } from './host.ts';
export { OperatorApi, type InstanceSummary, type InstanceMetrics } from './operator-api.ts';
export { ParentInstance, ParentDisk, type ParentInstanceInfo, type InstanceState } from './parent.ts';
export { PhysicalMemory, AddressSpace, PAGE_BYTES } from './memory.ts';
export { NitroController, type AttestationIssuer, type AttestationFields } from './nitro-controller.ts';
export { NITRO_DEFENCES, type HypervisorDefences } from './defences.ts';
