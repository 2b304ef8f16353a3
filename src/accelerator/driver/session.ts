import { equalBytes, parseCertificate, wipe } from '../../crypto/index.ts';
import { COMMAND_OK, encodeDeviceCommand } from '../device-commands.ts';
import { LockstepChannel } from '../lockstep.ts';
import type { SpdmRequester, SpdmSecuredSession } from '../spdm/index.ts';
import type { DeviceCommand } from '../types.ts';
import type { DriverDefences, DriverEventSink } from './defences.ts';
import { asDeviceError, deviceError } from './evidence-errors.ts';
import type { DeviceLink } from './link.ts';

/**
 * The secured session with one device: KEY_EXCHANGE bound to the key that was attested (DEV-05: a device swapped in
 * behind the relay cannot sign the exchange), the driver's own lockstep channels from the export master secret
 * (mirroring the device exactly), and the secured SET_READY that opens the device's ready gate.
 */
export function openSession(
  requester: SpdmRequester,
  attestedKey: Uint8Array | undefined,
  defences: DriverDefences,
  emit: DriverEventSink,
  deviceId: string,
): SpdmSecuredSession {
  let key = attestedKey;
  if (key === undefined || !defences.bindSessionToAttestedKey) {
    // Negative control (and unattested peers): trust whatever leaf the responder presents now.
    key = presentedLeafKey(requester);
  }
  const bound = attestedKey !== undefined && equalBytes(key, attestedKey);
  const session = asDeviceError('DEVICE_SESSION_FAILED', 'KEY_EXCHANGE/FINISH', () => requester.keyExchange(key));
  emit('driver.session.established', { deviceId, sessionId: session.sessionId, boundToAttestedKey: bound });
  return session;
}

function presentedLeafKey(requester: SpdmRequester): Uint8Array {
  // Starts over with whoever answers now (a new responder has no negotiated state), then takes its leaf on trust.
  asDeviceError('DEVICE_SESSION_FAILED', 'SPDM negotiation', () => requester.negotiate());
  const chain = asDeviceError('DEVICE_SESSION_FAILED', 'SPDM certificate chain', () => requester.certificateChain());
  const leafDer = chain[chain.length - 1];
  if (leafDer === undefined) deviceError('DEVICE_SESSION_FAILED', 'the responder presents no certificate');
  const leaf = asDeviceError('DEVICE_SESSION_FAILED', 'presented leaf', () => parseCertificate(leafDer));
  if (leaf.p384PublicKey === undefined) deviceError('DEVICE_SESSION_FAILED', 'the presented leaf key is not P-384');
  return leaf.p384PublicKey;
}

/** The driver's ends of the data channels: h2d seals here, d2h opens here, same labels and limits as the device. */
export function installChannels(link: DeviceLink, session: SpdmSecuredSession): void {
  link.session = session;
  link.h2d = new LockstepChannel(session.exportMaster, 'h2d-data');
  link.d2h = new LockstepChannel(session.exportMaster, 'd2h-data');
}

/** One secured command; anything but the OK reply is a session failure. */
export function sendCommand(link: DeviceLink, command: DeviceCommand): void {
  const session = link.session;
  if (session === undefined) deviceError('DEVICE_SESSION_FAILED', 'no secured session with the device', { deviceId: link.port.deviceId });
  const reply = asDeviceError('DEVICE_SESSION_FAILED', command.command, () => session.command(encodeDeviceCommand(command)));
  if (!equalBytes(reply, COMMAND_OK)) {
    deviceError('DEVICE_SESSION_FAILED', `${command.command} was not acknowledged`, { deviceId: link.port.deviceId });
  }
}

/** END_SESSION, then the driver drops its keys; a failure to reach the device still forgets them. */
export function closeSession(link: DeviceLink, emit: DriverEventSink): void {
  const session = link.session;
  link.session = undefined;
  link.h2d = undefined;
  link.d2h = undefined;
  if (session === undefined) return;
  let ended = true;
  try {
    session.end();
  } catch {
    // The device may be gone (reset, swapped); the keys are forgotten here either way.
    ended = false;
  }
  wipe(session.exportMaster);
  emit('driver.session.ended', { deviceId: link.port.deviceId, acknowledged: ended });
}
