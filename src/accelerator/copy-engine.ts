import { EmuError, isEmuError } from '../errors.ts';
import { computeNs, confidentialCopyNs, plainCopyNs } from './cost.ts';
import type { AcceleratorDefences } from './defences.ts';
import { type DeviceSession, WIRE_IV_BYTES } from './device-session.ts';
import type { DeviceProfile } from './flavours.ts';
import { executeKernel } from './kernels/index.ts';
import type { ProtectedMemory } from './protected-memory.ts';
import type { StagingBuffers } from './staging.ts';
import type { ComputeDescriptor, Descriptor, DeviceMode, PeerDescriptor, TransferDescriptor } from './types.ts';

/**
 * The engines behind the doorbell: copy engine (decrypt/encrypt through staging, plain copies with mode off),
 * compute engine (kernels on device memory) and link engine (peer frames). Each op validates everything before it
 * writes, and a decrypt writes only after the tag holds, so a failed op leaves device memory as it was (with the
 * matching defence on). Returns the op's virtual busy time.
 */
export const GCM_TAG_BYTES = 16;

export interface EngineContext {
  readonly profile: DeviceProfile;
  readonly defences: AcceleratorDefences;
  readonly mode: DeviceMode;
  readonly selfId: string;
  readonly memory: ProtectedMemory;
  readonly staging: StagingBuffers;
  /** This device's inbound peer-link slots. */
  readonly inbound: StagingBuffers;
  readonly session: DeviceSession | undefined;
  outboundTo(peerDeviceId: string): StagingBuffers | undefined;
  event(kind: string, fields: Record<string, string | number | boolean>): void;
  count(counter: string, amount: number): void;
}

function needSession(ctx: EngineContext): DeviceSession {
  if (ctx.session === undefined) throw new EmuError('ACCEL_NO_SESSION', 'no secured session holds this device');
  return ctx.session;
}

function checkLength(bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) {
    throw new EmuError('ACCEL_LENGTH_MISMATCH', 'buffer does not match the descriptor length', { bytes: bytes.length, expected });
  }
}

function transfer(ctx: EngineContext, d: TransferDescriptor): number {
  ctx.memory.checkRange(d.deviceAddress, d.length);
  ctx.staging.checkSlot(d.stagingSlot);
  const plain = d.op === 'copy-in' || d.op === 'copy-out';
  if (plain !== (ctx.mode === 'off')) {
    throw plain
      ? new EmuError('DEV_PLAIN_COPY_REFUSED', `${d.op} exists only with confidential mode off`, { mode: ctx.mode })
      : new EmuError('ACCEL_MODE_OFF', `${d.op} needs confidential mode`);
  }
  if (d.op === 'copy-in') {
    const bytes = ctx.staging.read(d.stagingSlot);
    checkLength(bytes, d.length);
    ctx.memory.write(d.deviceAddress, bytes);
  } else if (d.op === 'copy-out') {
    ctx.staging.write(d.stagingSlot, ctx.memory.read(d.deviceAddress, d.length), { writer: 'device', sealed: false });
  } else if (d.op === 'decrypt') {
    decrypt(ctx, needSession(ctx), d);
  } else {
    const session = needSession(ctx);
    ctx.staging.write(d.stagingSlot, session.d2h.seal(ctx.memory.read(d.deviceAddress, d.length)), { writer: 'device', sealed: true });
  }
  ctx.count(d.op === 'copy-in' || d.op === 'decrypt' ? 'bytesIn' : 'bytesOut', d.length);
  return plain ? plainCopyNs(d.length, ctx.profile.bridge) : confidentialCopyNs(d.length, ctx.profile.bridge);
}

function decrypt(ctx: EngineContext, session: DeviceSession, d: TransferDescriptor): void {
  const sealed = ctx.staging.read(d.stagingSlot);
  const wireIv = !ctx.defences.lockstepCounters;
  checkLength(sealed, d.length + GCM_TAG_BYTES + (wireIv ? WIRE_IV_BYTES : 0));
  let plaintext: Uint8Array;
  try {
    plaintext = wireIv ? session.openWithWireIv(sealed) : session.h2d.open(sealed);
  } catch (error) {
    if (!isEmuError(error, 'ACCEL_TAG_MISMATCH')) throw error;
    ctx.event('TAG_MISMATCH', { id: d.id, channel: 'h2d-data', committed: !ctx.defences.tagCheckBeforeWrite });
    ctx.count('tagFailures', 1);
    // The flawed engine streams its output before the tag is known: the bytes it produced stay in memory.
    if (!ctx.defences.tagCheckBeforeWrite) ctx.memory.write(d.deviceAddress, sealed.subarray(sealed.length - GCM_TAG_BYTES - d.length, sealed.length - GCM_TAG_BYTES));
    throw error;
  }
  ctx.memory.write(d.deviceAddress, plaintext);
}

function compute(ctx: EngineContext, d: ComputeDescriptor): number {
  const cost = executeKernel(ctx.memory, d.call);
  ctx.count('kernels', 1);
  ctx.count('flops', cost.flops);
  return computeNs(ctx.profile, cost);
}

function peer(ctx: EngineContext, d: PeerDescriptor): number {
  ctx.memory.checkRange(d.deviceAddress, d.length);
  if (d.op === 'peer-send') {
    const outbound = ctx.outboundTo(d.peerDeviceId);
    if (outbound === undefined) throw new EmuError('DEV_NO_PEER_LINK', 'no link to that peer', { peerDeviceId: d.peerDeviceId });
    outbound.checkSlot(d.linkSlot);
    const plaintext = ctx.memory.read(d.deviceAddress, d.length);
    // A plain device (mode off) has no keys: its link carries plaintext, and attestation says mode off.
    outbound.write(d.linkSlot, ctx.mode === 'off' ? plaintext : peerChannels(ctx, d.peerDeviceId).tx.seal(plaintext), { writer: 'device', sealed: ctx.mode !== 'off' });
  } else {
    ctx.inbound.checkSlot(d.linkSlot);
    const frame = ctx.inbound.read(d.linkSlot);
    if (ctx.mode === 'off') {
      checkLength(frame, d.length);
      ctx.memory.write(d.deviceAddress, frame);
    } else {
      const channels = peerChannels(ctx, d.peerDeviceId);
      checkLength(frame, d.length + GCM_TAG_BYTES);
      let plaintext: Uint8Array;
      try {
        plaintext = channels.rx.open(frame); // the tag holds before anything is written
      } catch (error) {
        if (isEmuError(error, 'ACCEL_TAG_MISMATCH')) ctx.event('TAG_MISMATCH', { id: d.id, channel: 'peer', peer: d.peerDeviceId, committed: false });
        throw error;
      }
      ctx.memory.write(d.deviceAddress, plaintext);
    }
  }
  ctx.count('peerBytes', d.length);
  return Math.ceil(d.length / ctx.profile.peerLinkBytesPerNs);
}

function peerChannels(ctx: EngineContext, peerDeviceId: string) {
  const channels = needSession(ctx).peer(peerDeviceId);
  if (channels === undefined) throw new EmuError('DEV_NO_PEER_KEY', 'no link key for that peer in this session', { peerDeviceId });
  return channels;
}

export function runDescriptor(ctx: EngineContext, d: Descriptor): number {
  switch (d.op) {
    case 'compute':
      return compute(ctx, d);
    case 'peer-send':
    case 'peer-recv':
      return peer(ctx, d);
    default:
      return transfer(ctx, d);
  }
}
