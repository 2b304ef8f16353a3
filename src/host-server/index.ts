// Public entry of src/host-server: `nitro-emu host serve` (one world served in real time behind a control
// socket and an NSM socket) and the client the nitro-cli-style commands use. Protocol: docs/host-server.md.
export { HostServer, HOST_CONNECTIONS_MAX, type HostServerOptions } from './server.ts';
export { ServedHost, SERVED_ENCLAVES_MAX, CONSOLE_READERS_MAX, type ServedHostOptions, type HostDescription, type ConsoleListener, type ConsoleHandle } from './served-host.ts';
export { HostClient, type ConsoleOutcome } from './client.ts';
export { encodeFrame, FrameReader, FRAME_HEADER_BYTES } from './framing.ts';
export {
  HOST_OPS,
  HOST_PROTOCOL_VERSION,
  HOST_REQUEST_BYTES_MAX,
  HOST_REPLY_BYTES_MAX,
  decodeRequest,
  encodeRequest,
  type HostOp,
  type HostRequest,
  type HostReply,
  type ConsoleFrame,
  type ConsoleEndReason,
} from './protocol.ts';
export {
  CONSOLE_TIMEOUT_S_MAX,
  CPUS_PER_ENCLAVE_MAX,
  ENCLAVE_CID_MAX,
  ENCLAVE_CID_MIN,
  ENCLAVE_NAME_CHARS_MAX,
  parseRunEnclave,
  type RunEnclaveRequest,
  type EnclaveSelector,
} from './requests.ts';
export { NSM_CHANNEL_FRAME_BYTES_MAX } from './nsm-channel.ts';
export { SOCKET_PATH_BYTES_MAX } from './socket-path.ts';
export {
  DESCRIBE_INFO_KEYS,
  DESCRIBE_METADATA_KEYS,
  RUN_INFO_KEYS,
  TERMINATE_INFO_KEYS,
  type EnclaveDescribeInfo,
  type EnclaveFlags,
  type EnclaveRunInfo,
  type EnclaveState,
  type EnclaveTerminateInfo,
} from './nitro-json.ts';
