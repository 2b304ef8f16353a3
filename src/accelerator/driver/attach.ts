import type { RandomSource } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import { createSpdmRequester } from '../spdm/index.ts';
import type { AcceleratorFlavour, TrustModel } from '../types.ts';
import { chunkBytesFor } from './bounce.ts';
import type { DriverDefences, DriverEventSink } from './defences.ts';
import { asDeviceError, deviceError } from './evidence-errors.ts';
import type { AttachedDevice, DataPath, DeviceTrustPolicy, DeviceVerdict, EnclaveDevicePort } from './index.ts';
import type { DeviceLink } from './link.ts';
import { probePlainMode } from './plain.ts';
import { closeSession, installChannels, openSession, sendCommand } from './session.ts';
import { attestPlatformMediated } from './verify-endorsement.ts';
import { type EvidenceContext, attestSpdmDirect } from './verify-spdm.ts';

export interface AttachContext {
  readonly random: RandomSource;
  readonly policy: DeviceTrustPolicy;
  readonly path: DataPath;
  readonly defences: DriverDefences;
  readonly chunkBytes: number | undefined;
  readonly emit: DriverEventSink;
}

/** The enclave's image decides how each flavour is attested; the port's own claim (host-supplied) must agree. */
const TRUST_MODEL_OF: Readonly<Record<AcceleratorFlavour, TrustModel>> = {
  gpu: 'spdm-direct',
  trainium: 'platform-mediated-assumed',
};

export function newLink(port: EnclaveDevicePort, path: DataPath, attested: boolean, chunkBytes: number | undefined): DeviceLink {
  const link: DeviceLink = {
    port, path, attested, session: undefined, h2d: undefined, d2h: undefined, broken: false, detached: false,
    nextDescriptorId: 1, chunkBytes: 0,
  };
  link.chunkBytes = chunkBytesFor(link, chunkBytes);
  return link;
}

/**
 * Confidential path: evidence (SPDM report or controller endorsement) → policy → KEY_EXCHANGE bound to the attested
 * key → secured SET_READY. Nothing that carries a secret is sent before the last check passed. Plain path: no
 * evidence; the device must be in mode off (a plain copy is refused in any other mode).
 */
export function attachDevice(ctx: AttachContext, port: EnclaveDevicePort): { device: AttachedDevice; link: DeviceLink } {
  const deviceId = port.deviceId;
  ctx.emit('driver.attach.start', { deviceId, flavour: port.flavour, trustModel: port.trustModel, path: ctx.path });
  try {
    const link = newLink(port, ctx.path, ctx.path === 'confidential', ctx.chunkBytes);
    const verdict = ctx.path === 'plain' ? attachPlain(ctx, link) : attachConfidential(ctx, link);
    ctx.emit('driver.attach.ready', { deviceId, mode: verdict.mode, svn: verdict.svn, label: verdict.label });
    return { device: Object.freeze({ port, verdict }), link };
  } catch (error) {
    ctx.emit('driver.attach.rejected', { deviceId, code: error instanceof EmuError ? error.code : 'INTERNAL' });
    throw error;
  }
}

function labelOf(port: EnclaveDevicePort): 'published' | 'assumed' {
  return TRUST_MODEL_OF[port.flavour] === 'spdm-direct' ? 'published' : 'assumed';
}

function attachPlain(ctx: AttachContext, link: DeviceLink): DeviceVerdict {
  probePlainMode(link);
  const port = link.port;
  return Object.freeze({
    deviceId: port.deviceId, flavour: port.flavour, trustModel: port.trustModel, mode: 'off', svn: 0,
    firmwareDigestHex: '', label: labelOf(port),
  });
}

function attachConfidential(ctx: AttachContext, link: DeviceLink): DeviceVerdict {
  const port = link.port;
  const expected = TRUST_MODEL_OF[port.flavour];
  if (expected === undefined || port.trustModel !== expected) {
    deviceError('DEVICE_TRUST_MODEL_MISMATCH', `a ${port.flavour} device is attested ${expected ?? 'not at all'}, the port says ${port.trustModel}`, {
      deviceId: port.deviceId,
    });
  }
  const evidenceCtx: EvidenceContext = {
    deviceId: port.deviceId, flavour: port.flavour, policy: ctx.policy, defences: ctx.defences, emit: ctx.emit,
  };
  const requester = createSpdmRequester(ctx.random, port.spdm);
  let judged;
  if (expected === 'spdm-direct') {
    judged = attestSpdmDirect(evidenceCtx, requester, ctx.random);
  } else {
    judged = attestPlatformMediated(evidenceCtx, port, ctx.random);
    asDeviceError('DEVICE_SESSION_FAILED', 'SPDM negotiation', () => requester.negotiate());
  }
  const session = openSession(requester, judged.leafPublicKey, ctx.defences, ctx.emit, port.deviceId);
  installChannels(link, session);
  try {
    sendCommand(link, { command: 'SET_READY' });
  } catch (error) {
    closeSession(link, ctx.emit);
    throw error;
  }
  const claims = judged.claims;
  return Object.freeze({
    deviceId: port.deviceId,
    flavour: port.flavour,
    trustModel: port.trustModel,
    mode: claims.mode ?? 'off',
    svn: claims.svn ?? 0,
    firmwareDigestHex: claims.fwidHex ?? claims.firmwareMeasurementHex ?? '',
    label: labelOf(port),
  });
}
