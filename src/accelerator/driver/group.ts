import { type RandomSource, wipe } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import { LINK_SECRET_BYTES_MIN } from '../device-commands.ts';
import { createSpdmRequester } from '../spdm/index.ts';
import type { DriverDefences, DriverEventSink } from './defences.ts';
import type { AttachedDevice, DataPath } from './index.ts';
import { type DeviceLink, usableLink } from './link.ts';
import { PIPELINE_DEVICES_MAX } from './plan.ts';
import { installChannels, openSession, sendCommand } from './session.ts';
import { newLink } from './attach.ts';

export interface GroupContext {
  readonly random: RandomSource;
  readonly defences: DriverDefences;
  readonly emit: DriverEventSink;
  readonly chunkBytes: number | undefined;
  readonly path: DataPath;
  readonly linkOf: (device: AttachedDevice) => DeviceLink | undefined;
  readonly adopt: (device: AttachedDevice, link: DeviceLink) => void;
  /** Records that a pair holds a link key (generate checks it before it uses the link). */
  readonly pairFormed: (a: string, b: string) => void;
}

/**
 * Issues one fresh random link secret per pair, sent to both devices with SET_PEER_KEY inside their own secured
 * sessions. DEV-06: every member must have been attested by this driver first; the check runs over the whole group
 * before the first secret is drawn, so a group with one stranger receives nothing at all.
 */
export function formDeviceGroup(ctx: GroupContext, devices: readonly AttachedDevice[]): void {
  if (devices.length < 1 || devices.length > PIPELINE_DEVICES_MAX) {
    throw new EmuError('DRIVER_BAD_GROUP', `a group has 1..${PIPELINE_DEVICES_MAX} devices`, { devices: devices.length });
  }
  if (new Set(devices.map((d) => d.port.deviceId)).size !== devices.length) {
    throw new EmuError('DRIVER_BAD_GROUP', 'a device appears twice in the group');
  }
  const known = devices.map((device) => ctx.linkOf(device));
  const stranger = devices.find((_, i) => known[i] === undefined || (ctx.path === 'confidential' && !known[i]!.attested));
  if (stranger !== undefined && (ctx.defences.attestPeersBeforeGroupKey || ctx.path === 'plain')) {
    throw new EmuError('DEVICE_NOT_ATTESTED', `device ${stranger.port.deviceId} was not attested by this driver; no link key for its group`, {
      deviceId: stranger.port.deviceId,
    });
  }
  for (const link of known) if (link !== undefined) usableLink(link);
  // Negative control only: a stranger gets a session without evidence, then a key like any member.
  const members = devices.map((device, i) => known[i] ?? adoptStranger(ctx, device));
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) issuePair(ctx, members[i]!, members[j]!);
  }
  ctx.emit('driver.group.formed', { devices: members.length, attested: members.every((m) => m.attested) });
}

function adoptStranger(ctx: GroupContext, device: AttachedDevice): DeviceLink {
  const stranger = newLink(device.port, 'confidential', false, ctx.chunkBytes);
  const requester = createSpdmRequester(ctx.random, device.port.spdm);
  installChannels(stranger, openSession(requester, undefined, ctx.defences, ctx.emit, device.port.deviceId));
  sendCommand(stranger, { command: 'SET_READY' });
  ctx.adopt(device, stranger);
  ctx.emit('driver.group.stranger', { deviceId: device.port.deviceId });
  return stranger;
}

function issuePair(ctx: GroupContext, a: DeviceLink, b: DeviceLink): void {
  const idA = a.port.deviceId;
  const idB = b.port.deviceId;
  // Plain devices (mode off) have no sessions and no keys: their link carries plaintext, as their mode says.
  if (ctx.path === 'plain') {
    ctx.pairFormed(idA, idB);
    return;
  }
  const secret = ctx.random.bytes(LINK_SECRET_BYTES_MIN);
  try {
    sendCommand(a, { command: 'SET_PEER_KEY', peerDeviceId: idB, linkSecret: secret });
    sendCommand(b, { command: 'SET_PEER_KEY', peerDeviceId: idA, linkSecret: secret });
  } finally {
    wipe(secret);
  }
  ctx.pairFormed(idA, idB);
  ctx.emit('driver.group.pair', { deviceA: idA, deviceB: idB });
}
