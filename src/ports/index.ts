export {
  PipeEnd,
  createPipe,
  linkOf,
  PIPE_FAULT_KINDS,
  PIPE_LINKS,
  PIPE_DELAY_NS_MAX,
  PIPE_HOLD_NS_MAX,
  type PipeFaultKind,
  type PipeOptions,
  type DeliveryObserver,
  type EndOwner,
} from './stream.ts';
export { FramedConnection, FRAME_BYTES_MAX } from './framing.ts';
export {
  VsockBus,
  type VsockAddress,
  type VsockAcceptor,
  type VsockOptions,
  VMADDR_CID_HYPERVISOR,
  VMADDR_CID_LOCAL,
  VMADDR_CID_HOST,
  VMADDR_CID_PARENT,
  CID_MAX,
  HEARTBEAT_PORT,
  HEARTBEAT_BYTE,
} from './vsock.ts';
export { type JsonRpcRequest, type JsonRpcResponse, encodeJsonMessage, decodeJsonMessage } from './json-message.ts';
