import { EmuError } from '../errors.ts';
import { COMMAND_OK, decodeDeviceCommand, encodeDeviceStatus } from './device-commands.ts';
import type { DeviceSession } from './device-session.ts';
import type { DeviceMode, FirmwareStatus } from './types.ts';

/**
 * What the firmware does with a secured command. It is only ever reached through the SPDM responder's secured
 * session (the device checks the session id first), so SET_READY cannot come from the host in the clear.
 */
export interface CommandContext {
  readonly selfId: string;
  readonly mode: DeviceMode;
  readonly epoch: number;
  readonly firmware: FirmwareStatus;
  readonly firmwareDigest: Uint8Array;
  onReady(): void;
}

export function handleSecuredCommand(bytes: Uint8Array, session: DeviceSession, ctx: CommandContext): Uint8Array {
  const command = decodeDeviceCommand(bytes);
  switch (command.command) {
    case 'SET_READY':
      if (ctx.mode === 'off') throw new EmuError('ACCEL_MODE_OFF', 'no ready state with confidential mode off');
      session.ready = true;
      ctx.onReady();
      return COMMAND_OK.slice();
    case 'SET_PEER_KEY':
      session.installPeerKey(ctx.selfId, command.peerDeviceId, command.linkSecret);
      return COMMAND_OK.slice();
    case 'GET_STATUS':
      return encodeDeviceStatus({
        mode: ctx.mode, ready: session.ready, epoch: ctx.epoch, svn: ctx.firmware.svn,
        firmwareVersion: ctx.firmware.version, firmwareDigest: ctx.firmwareDigest,
      });
  }
}
