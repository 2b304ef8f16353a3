import { fromBase64, fromUtf8 } from '../crypto/index.ts';
import { TCB, type Observation, type Principal } from '../scenario/index.ts';
import type { MessageEvent } from '../world/index.ts';
import type { Protection, TraceMessage } from './types.ts';

/*
 * Decides, frame by frame, what each message was and who could read it, the way a protocol dissector does:
 * from the bytes and the service they went to. The rule is conservative: a message is called ciphertext only
 * when its format is one the emulator seals (secure-channel record, sealed prompt/output, sealed state, KMS
 * blob, AES-GCM weights, a bounce buffer the writer says it sealed); anything else is plaintext, readable by
 * everyone who got the bytes. A canary found in the bytes makes a message plaintext whatever its format.
 */

// The world's parent-side services (src/world/parent-services.ts, app-services.ts) and the heartbeat.
const PORT_KMS_PROXY = 8000;
const PORT_FILES = 8001;
const PORT_LOGS = 8002;
const PORT_STATE = 8003;
const PORT_HEARTBEAT = 9000;
const PORT_INFERENCE = 5000;
const TLS_MAGIC = 'NESC';
const SEALED_STATE_MAGIC = 'NESS';
const RECORD_TYPE_BYTE = 0x17;
/** Bytes of a frame the dissector decodes as JSON; larger frames are bulk data. */
const JSON_PEEK_BYTES_MAX = 64 * 1024;

interface Verdict {
  readonly protection: Protection;
  /** Key holders for ciphertext; ignored for plaintext (everyone who got the bytes can read it). */
  readonly keyHolders?: readonly Principal[];
  readonly what: string;
}

/** State a conversation leaves behind: who opened the last handshakes, what a file request asked for. */
class DissectState {
  /** First sender of each byte string: a relay forwards what someone else wrote. */
  readonly origin = new Map<string, Principal>();
  /** Verdict of the first copy of each byte string, so a relayed copy reads the same. */
  readonly verdicts = new Map<string, Verdict>();
  tlsClient: Principal | undefined;
  tlsServer: Principal | undefined;
  inferenceClient: Principal | undefined;
  inferenceServer: Principal | undefined;
  readonly pendingPath = new Map<string, string>();
  /** Principals that held the data key in plaintext. */
  dataKeyHolders: readonly Principal[] = [];
}

/** What the dissector needs besides the messages: the ledger as it ended, and whose secret each canary is. */
export interface DissectContext {
  /** The ledger's observations by seq, as they ended (a canary planted later rescans earlier items). */
  readonly observations: readonly Observation[];
  readonly canaryOwners: ReadonlyMap<string, Principal>;
  /** Principals that held the data key in plaintext. */
  readonly dataKeyHolders: readonly Principal[];
}

export function dissectMessages(events: readonly MessageEvent[], context: DissectContext): TraceMessage[] {
  const state = new DissectState();
  state.dataKeyHolders = uniq(context.dataKeyHolders);
  return events.map((event) => dissectOne(event, state, context));
}

/** A canary is leaked where someone other than its owner and the TCB could read it. */
function leaks(canaries: readonly string[], readers: readonly Principal[], owners: ReadonlyMap<string, Principal>): boolean {
  return canaries.some((c) => readers.some((r) => !TCB.has(r) && r !== owners.get(c)));
}

function dissectOne(event: MessageEvent, state: DissectState, context: DissectContext): TraceMessage {
  const latest = context.observations[event.observation.seq];
  const observation = latest !== undefined && latest.sha256 === event.observation.sha256 ? latest : event.observation;
  const bytes = observation.bytes;
  const key = observation.sha256;
  if (!state.origin.has(key)) state.origin.set(key, event.from);
  const origin = state.origin.get(key) ?? event.from;
  // Only a relay forwards the same frame on: slot and disk writes are judged by who wrote them, every time.
  const relayable = !/^(device \S+ (staging|link) \d+|disk-write .+)$/.test(event.channel);
  const known = relayable ? state.verdicts.get(key) : undefined;
  const verdict = known ?? classify(event, origin, bytes === undefined ? undefined : payloadOf(bytes), state);
  if (relayable && known === undefined) state.verdicts.set(key, verdict);
  const canaries = uniq(observation.canaryHits.map((h) => h.canary));
  const carriers = uniq([event.from, event.to, ...(event.observedBy === undefined ? [] : [event.observedBy])]);
  const inClear = canaries.length > 0;
  const protection: Protection = inClear ? 'plaintext' : verdict.protection;
  const readableBy = protection === 'plaintext' ? carriers : uniq(verdict.keyHolders ?? []);
  return {
    seq: event.seq,
    observationSeq: observation.seq,
    timeNs: event.timeNs,
    from: event.from,
    to: event.to,
    channel: shortChannel(event.channel),
    size: observation.size,
    protection,
    readableBy,
    what: inClear && verdict.protection === 'ciphertext' ? `${verdict.what}, yet the secret is in the clear` : verdict.what,
    canaries,
    leak: leaks(canaries, readableBy, context.canaryOwners),
    ...(event.observedBy === undefined ? {} : { observedBy: event.observedBy }),
  };
}

/** `vsock 16:49157->3:8000` → `vsock 16->3:8000`: a connection's source port says nothing to a reader. */
export function shortChannel(channel: string): string {
  return channel.replace(/^vsock (\d+):\d+->/, 'vsock $1->');
}

/** A FramedConnection chunk is a 4-byte big-endian length and the frame; other chunks are raw. */
function payloadOf(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4) return bytes;
  const length = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return length === bytes.length - 4 ? bytes.subarray(4) : bytes;
}

function classify(event: MessageEvent, origin: Principal, payload: Uint8Array | undefined, state: DissectState): Verdict {
  const channel = event.channel;
  if (/^device \S+ (staging|link) \d+$/.test(channel)) return slotVerdict(event);
  const disk = /^disk-write (.+)$/.exec(channel);
  if (disk !== null) return fileVerdict(disk[1]!, state, 'on the parent’s disk');
  const vsock = /^vsock \d+:\d+->\d+:(\d+)$/.exec(channel);
  const port = vsock === null ? undefined : Number(vsock[1]);
  if (port === PORT_HEARTBEAT) return { protection: 'plaintext', what: 'heartbeat' };
  if (payload === undefined) {
    const path = state.pendingPath.get(channel);
    if (port === PORT_FILES && path !== undefined) return fileVerdict(path, state, 'from the file server');
    return { protection: 'plaintext', what: `bulk data (${event.observation.size} bytes)` };
  }
  if (startsWith(payload, TLS_MAGIC)) return handshakeVerdict(payload, origin, state);
  if (payload[0] === RECORD_TYPE_BYTE && (port === PORT_KMS_PROXY || channel.startsWith('kms-endpoint'))) {
    return { protection: 'ciphertext', keyHolders: [state.tlsClient ?? 'enclave', state.tlsServer ?? 'kms'], what: 'secure-channel record (KMS call inside)' };
  }
  if (port === PORT_FILES) return fileServiceVerdict(channel, payload, state);
  if (port === PORT_LOGS) return { protection: 'plaintext', what: 'app log line' };
  if (port === PORT_STATE) return stateVerdict(payload);
  const json = parseJson(payload);
  if (port === PORT_INFERENCE || channel.startsWith('internet')) return inferenceVerdict(json, origin, state);
  if (json !== undefined && typeof json['target'] === 'string') return { protection: 'plaintext', what: `KMS ${json['target'].replace(/^TrentService\./, '')} request` };
  if (json !== undefined && typeof json['status'] === 'number') return { protection: 'plaintext', what: `KMS response ${json['status']}` };
  return { protection: 'plaintext', what: `${payload.length} bytes` };
}

function slotVerdict(event: MessageEvent): Verdict {
  const link = event.channel.includes(' link ');
  if (event.sealed === true) {
    return link
      ? { protection: 'ciphertext', keyHolders: ['device'], what: 'device-to-device link frame (AES-GCM)' }
      : { protection: 'ciphertext', keyHolders: ['enclave', 'device'], what: 'bounce buffer (AES-GCM, SPDM session key)' };
  }
  if (event.sealed === false) return { protection: 'plaintext', what: link ? 'device link frame, not sealed' : 'bounce buffer, not sealed' };
  return { protection: 'plaintext', what: link ? 'the parent writes a link slot' : 'the parent writes a staging slot' };
}

function handshakeVerdict(payload: Uint8Array, origin: Principal, state: DissectState): Verdict {
  const type = payload[4];
  if (type === 1) state.tlsClient = origin;
  if (type === 2) state.tlsServer = origin;
  const name = type === 1 ? 'ClientHello' : type === 2 ? 'ServerHello + certificate' : type === 3 ? 'Finished' : 'handshake message';
  // Handshakes are public: what they carry is authenticated, not secret.
  return { protection: 'plaintext', what: `secure-channel ${name}` };
}

const SEALED_FILES: Readonly<Record<string, (state: DissectState) => Verdict>> = {
  'model/weights.enc': (s) => ({ protection: 'ciphertext', keyHolders: s.dataKeyHolders, what: 'model weights, AES-256-GCM under the data key' }),
  'model/datakey.blob': () => ({ protection: 'ciphertext', keyHolders: ['kms'], what: 'data key encrypted under the KMS key' }),
  'enclave-state/sealed.bin': () => ({ protection: 'ciphertext', keyHolders: ['enclave'], what: 'the enclave’s sealed state' }),
};

function fileVerdict(path: string, state: DissectState, where: string): Verdict {
  const rule = SEALED_FILES[path];
  if (rule !== undefined) {
    const verdict = rule(state);
    return { ...verdict, what: `${verdict.what} (${where})` };
  }
  return { protection: 'plaintext', what: `${path} (${where})` };
}

function fileServiceVerdict(channel: string, payload: Uint8Array, state: DissectState): Verdict {
  const json = parseJson(payload);
  if (json !== undefined && typeof json['path'] === 'string') {
    state.pendingPath.set(channel, json['path']);
    return { protection: 'plaintext', what: `file request ${json['path']}` };
  }
  const path = state.pendingPath.get(channel);
  if (payload.length === 1 && payload[0] === 1) return { protection: 'plaintext', what: 'file not found' };
  if (path === undefined) return { protection: 'plaintext', what: 'file server reply' };
  return fileVerdict(path, state, 'from the file server');
}

function stateVerdict(payload: Uint8Array): Verdict {
  const json = parseJson(payload);
  if (json !== undefined && json['op'] === 'put' && typeof json['data'] === 'string') {
    return sealedBlob(safeBase64(json['data'])) ? { protection: 'ciphertext', keyHolders: ['enclave'], what: 'sealed state put' } : { protection: 'plaintext', what: 'state put, not sealed' };
  }
  if (json !== undefined) return { protection: 'plaintext', what: `state ${String(json['op'])}` };
  if (payload.length > 1 && sealedBlob(payload.subarray(1))) return { protection: 'ciphertext', keyHolders: ['enclave'], what: 'sealed state' };
  return { protection: 'plaintext', what: payload.length === 1 ? 'state status byte' : 'state reply' };
}

function inferenceVerdict(json: Record<string, unknown> | undefined, origin: Principal, state: DissectState): Verdict {
  const type = json?.['type'];
  if (type === 'hello') {
    state.inferenceClient = origin;
    return { protection: 'plaintext', what: 'client hello (its nonce)' };
  }
  if (type === 'attestation') {
    state.inferenceServer = origin;
    return { protection: 'plaintext', what: 'attestation document (signed, public)' };
  }
  if ((type === 'prompt' || type === 'output') && typeof json?.['ciphertext'] === 'string') {
    return { protection: 'ciphertext', keyHolders: [state.inferenceClient ?? 'client', state.inferenceServer ?? 'enclave'], what: `${type} sealed under the ECDH session key` };
  }
  return { protection: 'plaintext', what: typeof type === 'string' ? `client protocol ${type}` : 'client protocol message' };
}

function parseJson(payload: Uint8Array): Record<string, unknown> | undefined {
  if (payload.length === 0 || payload.length > JSON_PEEK_BYTES_MAX || payload[0] !== 0x7b) return undefined;
  try {
    const value: unknown = JSON.parse(fromUtf8(payload));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function safeBase64(text: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    return new Uint8Array(0);
  }
}

function sealedBlob(bytes: Uint8Array): boolean {
  return startsWith(bytes, SEALED_STATE_MAGIC);
}

function startsWith(bytes: Uint8Array, magic: string): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic.charCodeAt(i)) return false;
  return true;
}

function uniq<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
