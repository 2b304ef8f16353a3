import type { RandomSource } from '../crypto/index.ts';
import { EmuError, assert, isEmuError } from '../errors.ts';
import { type BootRom, type BootedFirmware, bootFirmware, bootStaged, burnBootRom } from './boot-rom.ts';
import { type EngineContext, GCM_TAG_BYTES, runDescriptor } from './copy-engine.ts';
import { type AcceleratorDefences, withDefences } from './defences.ts';
import { checkDescriptor } from './descriptors.ts';
import { DeviceSession, WIRE_IV_BYTES } from './device-session.ts';
import { type DeviceProfile, deviceProfile } from './flavours.ts';
import { copyFirmware } from './firmware.ts';
import { DeviceFuses } from './fuses.ts';
import { DEFAULT_LIMITS, type LockstepLimits } from './lockstep.ts';
import { MeasurementTracker, encodeOpaque, linkModeClaim } from './measurements.ts';
import { ProtectedMemory } from './protected-memory.ts';
import { type SpdmResponder, type SpdmResponderHooks, createSpdmResponder } from './spdm/index.ts';
import { handleSecuredCommand } from './device-command-handler.ts';
import { StagingBuffers } from './staging.ts';
import type {
  AcceleratorDevice, AcceleratorFlavour, Completion, Descriptor, DeviceEvent, DeviceMode, FirmwareImage,
  FirmwareStatus, Principal, ResetReport, TrustModel,
} from './types.ts';
import {
  type AcceleratorDeviceOptions, DEFAULT_LINK_SLOTS, DEFAULT_RING_SLOTS, DEFAULT_STAGING_SLOTS, DEFAULT_TRANSFER_BYTES_MAX,
  MGMT_READ_BYTES_MAX, MODES, SPDM_MESSAGE_BYTES_MAX,
} from './device-options.ts';
import { DeviceEventLog } from './device-events.ts';
import { isPlainKeyExchange, keyExchangeRefusal } from './device-spdm.ts';

/**
 * One emulated confidential accelerator (both flavours): fuses and boot ROM, measured firmware, the mode register
 * (applied at reset), the SPDM responder with its session, the ready gate, a bounded ring and doorbell, the copy,
 * compute and link engines, the management plane (firewalled in confidential mode) and reset with a verified scrub.
 */
export class EmulatedAccelerator implements AcceleratorDevice {
  readonly flavour: AcceleratorFlavour;
  readonly trustModel: TrustModel;
  readonly profile: DeviceProfile;
  readonly deviceId: string;
  readonly index: number;
  readonly capacityBytes: number;
  readonly staging: StagingBuffers;
  readonly link: StagingBuffers;
  readonly defences: AcceleratorDefences;
  readonly #rom: BootRom;
  /** The vendor's root and CAs as provisioned into the chip: root first. */
  readonly #vendorChainDer: readonly Uint8Array[];
  readonly #random: RandomSource;
  readonly #fuses: DeviceFuses;
  readonly #memory: ProtectedMemory;
  readonly #limits: LockstepLimits;
  readonly #ringSlotsMax: number;
  readonly #transferBytesMax: number;
  readonly #peers = new Map<string, StagingBuffers>();
  #booted: BootedFirmware;
  #staged: FirmwareImage | undefined;
  #mode: DeviceMode;
  #pendingMode: DeviceMode;
  #epoch = 0;
  #session: DeviceSession | undefined;
  /** One secured session per epoch: a later holder could read what the earlier one left, so it needs a reset first. */
  #sessionUsedThisEpoch = false;
  #responder: SpdmResponder | undefined;
  #submissions: Descriptor[] = [];
  #completions: Completion[] = [];
  #busyNs = 0;
  readonly #events = new DeviceEventLog();
  readonly #counters: Record<string, number> = { bytesIn: 0, bytesOut: 0, kernels: 0, flops: 0, peerBytes: 0, tagFailures: 0 };
  readonly #measured = new MeasurementTracker();
  readonly #hooks: SpdmResponderHooks;

  constructor(options: AcceleratorDeviceOptions) {
    assert(options.vendor.flavour === options.flavour, `a ${options.vendor.flavour} vendor cannot make a ${options.flavour} device`);
    this.flavour = options.flavour;
    this.profile = deviceProfile(options.flavour);
    this.trustModel = this.profile.trustModel;
    this.index = options.index;
    this.defences = Object.freeze(withDefences(options.defences));
    this.#rom = burnBootRom(options.vendor);
    this.#vendorChainDer = [options.vendor.rootDer, ...options.vendor.intermediatesDer].map((der) => der.slice());
    this.#random = options.random;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#ringSlotsMax = options.ringSlotsMax ?? DEFAULT_RING_SLOTS;
    this.#transferBytesMax = options.transferBytesMax ?? DEFAULT_TRANSFER_BYTES_MAX;
    // slotBytesMax − tag is the largest transfer, as a driver sizes its chunks; only the flawed wire-IV device adds the IV.
    const slotBytes = this.#transferBytesMax + GCM_TAG_BYTES + (this.defences.lockstepCounters ? 0 : WIRE_IV_BYTES);
    this.staging = new StagingBuffers(options.stagingSlotsMax ?? DEFAULT_STAGING_SLOTS, slotBytes);
    this.link = new StagingBuffers(options.linkSlotsMax ?? DEFAULT_LINK_SLOTS, slotBytes);
    this.#memory = new ProtectedMemory(options.capacityBytes ?? this.profile.hbmBytes);
    this.capacityBytes = this.#memory.capacityBytes;
    this.#fuses = new DeviceFuses(options.vendor, options.random);
    this.deviceId = this.#fuses.deviceId;
    const mode = options.mode ?? 'confidential';
    if (!MODES.includes(mode)) throw new EmuError('DEV_BAD_MODE', `unknown mode ${String(mode)}`);
    this.#mode = mode;
    this.#pendingMode = mode;
    // The factory image must boot; a refusal here is a broken test setup, so it stays a typed error to the caller.
    this.#booted = bootFirmware({
      rom: this.#rom, fuses: this.#fuses, image: options.firmware ?? options.vendor.firmware.current,
      antiRollbackFuse: this.defences.antiRollbackFuse, random: options.random,
    });
    this.#remeasure();
    this.#hooks = this.#makeHooks();
    hooksForTests.set(this, this.#hooks);
  }

  get mode(): DeviceMode { return this.#mode; }
  get pendingMode(): DeviceMode { return this.#pendingMode; }
  get epoch(): number { return this.#epoch; }
  get isReady(): boolean { return this.#mode !== 'off' && this.#session?.ready === true; }
  get busyNs(): number { return this.#busyNs; }
  get fuseMinSvn(): number { return this.#fuses.minSvn; }
  residentPages(): number { return this.#memory.residentPages(); }
  firmware(): FirmwareStatus { return this.#booted.status; }

  setPendingMode(mode: DeviceMode): void {
    if (!MODES.includes(mode)) throw new EmuError('DEV_BAD_MODE', `unknown mode ${String(mode)}`);
    this.#pendingMode = mode;
    if (!this.defences.modeChangeOnlyAtReset && mode !== this.#mode) {
      // The flaw: the mode flips under a live session, which keeps its keys and its ready state.
      this.#mode = mode;
      this.#remeasure();
      this.#event('MODE_CHANGED_LIVE', { mode });
    }
  }

  stageFirmware(image: FirmwareImage): void {
    this.#staged = copyFirmware(image);
  }

  reset(): ResetReport {
    const scrub = this.defences.scrubOnReset ? this.#memory.scrubVerified() : { scrubbedPages: 0, verified: false };
    this.#event('SCRUB_DONE', { ...scrub, skipped: !this.defences.scrubOnReset });
    this.staging.clear();
    this.link.clear();
    this.#endSession('reset');
    this.#responder?.reset();
    this.#sessionUsedThisEpoch = false;
    this.#submissions = [];
    this.#completions = [];
    this.#epoch++;
    this.#mode = this.#pendingMode;
    const staged = this.#staged;
    this.#staged = undefined;
    const boot = staged === undefined ? { booted: this.#booted } : bootStaged({
      rom: this.#rom, fuses: this.#fuses, staged, running: this.#booted, antiRollbackFuse: this.defences.antiRollbackFuse, random: this.#random,
    });
    this.#booted = boot.booted;
    const refusal = boot.refusal;
    if (staged !== undefined) {
      this.#event(refusal === undefined ? 'BOOTED' : 'BOOT_REFUSED', {
        version: staged.version, svn: staged.svn, reason: String(refusal?.details?.['reason'] ?? 'ok'),
      });
    }
    this.#remeasure();
    const report: ResetReport = { scrubbedPages: scrub.scrubbedPages, verified: scrub.verified, mode: this.#mode, epoch: this.#epoch };
    if (refusal !== undefined) {
      // The reset itself happened (scrubbed, new epoch); only the image was refused and the old one keeps running.
      throw new EmuError('DEV_BOOT_REFUSED', refusal.message, { ...refusal.details, report, running: this.#booted.status.version });
    }
    return report;
  }

  mgmtRead(address: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > MGMT_READ_BYTES_MAX) {
      throw new EmuError('ACCEL_TRANSFER_TOO_LARGE', `management reads are at most ${MGMT_READ_BYTES_MAX} bytes`, { length });
    }
    this.#memory.checkRange(address, length);
    if (this.#mode === 'confidential' && this.defences.memoryFirewall) {
      this.#event('FIREWALL_BLOCK', { address, length });
      return new Uint8Array(length).fill(0xff);
    }
    return this.#memory.read(address, length);
  }

  perfCounters(): Readonly<Record<string, number>> | null {
    if (this.#mode === 'confidential' && this.defences.memoryFirewall) return null;
    return { ...this.#counters, eventsDropped: this.#events.dropped, busyNs: this.#busyNs, residentPages: this.#memory.residentPages() };
  }

  spdm(request: Uint8Array): Uint8Array {
    if (request.length > SPDM_MESSAGE_BYTES_MAX) {
      throw new EmuError('DEV_SPDM_TOO_LARGE', `SPDM messages are at most ${SPDM_MESSAGE_BYTES_MAX} bytes`, { bytes: request.length });
    }
    if (isPlainKeyExchange(request) && (this.#mode === 'off' || this.#sessionUsedThisEpoch)) {
      const reason = this.#mode === 'off' ? 'mode-off' : 'one-session-per-epoch';
      this.#event('SESSION_REFUSED', { reason });
      return keyExchangeRefusal(reason);
    }
    // Made on first use: a device that is never attested never needs one.
    this.#responder ??= createSpdmResponder(this.#random, this.#hooks);
    return this.#responder.handle(request);
  }

  submit(principal: Principal, descriptor: Descriptor): void {
    this.#gate(principal);
    if (this.#submissions.length >= this.#ringSlotsMax) {
      throw new EmuError('ACCEL_RING_FULL', 'submission ring is full', { ringSlotsMax: this.#ringSlotsMax });
    }
    this.#submissions.push(checkDescriptor(descriptor, {
      transferBytesMax: this.#transferBytesMax, memory: this.#memory, staging: this.staging, link: this.link,
    }));
  }

  doorbell(principal: Principal): number {
    this.#gate(principal);
    const batch = this.#submissions;
    this.#submissions = [];
    const ctx = this.#engineContext();
    for (const descriptor of batch) {
      try {
        const busyNs = runDescriptor(ctx, descriptor);
        this.#busyNs += busyNs;
        this.#completions.push({ id: descriptor.id, ok: true, busyNs });
      } catch (error) {
        if (!isEmuError(error)) throw error;
        this.#completions.push({ id: descriptor.id, ok: false, code: error.code, busyNs: 0 });
      }
    }
    return batch.length;
  }

  pollCompletions(): Completion[] {
    const out = this.#completions;
    this.#completions = [];
    return out;
  }

  drainEvents(): DeviceEvent[] {
    return this.#events.drain();
  }

  /** Wires this device's outbound side to a peer's inbound link slots (the physical link; carries no keys). */
  connectPeer(peerDeviceId: string, peerInbound: StagingBuffers): void {
    if (peerDeviceId === this.deviceId) throw new EmuError('DEV_BAD_PEER', 'a device cannot link to itself');
    this.#peers.set(peerDeviceId, peerInbound);
  }

  #gate(principal: Principal): void {
    if (principal !== 'enclave' && principal !== 'parent') throw new EmuError('ACCEL_BAD_PRINCIPAL', 'unknown principal');
    if (this.#mode === 'off') return; // a plain device belongs to whoever holds the PCIe function
    if (principal === 'parent' && this.defences.sessionBinding) {
      throw new EmuError('ACCEL_NOT_SESSION_HOLDER', 'work from outside the secured session refused');
    }
    if (!this.isReady) throw new EmuError('ACCEL_NOT_READY', 'device refuses work before SET_READY');
  }

  #engineContext(): EngineContext {
    return {
      profile: this.profile, defences: this.defences, mode: this.#mode, selfId: this.deviceId, memory: this.#memory,
      staging: this.staging, inbound: this.link, session: this.#session,
      outboundTo: (peer) => this.#peers.get(peer),
      event: (kind, fields) => this.#event(kind, fields),
      count: (counter, amount) => { this.#counters[counter] = (this.#counters[counter] ?? 0) + amount; },
    };
  }

  #event(kind: string, fields: Record<string, string | number | boolean>): void {
    this.#events.push(kind, { device: this.deviceId, epoch: this.#epoch, ...fields });
  }

  #endSession(reason: string): void {
    if (this.#session === undefined) return;
    this.#event('SESSION_ENDED', { sessionId: this.#session.sessionId, reason });
    this.#session.wipe();
    this.#session = undefined;
    this.#submissions = [];
  }

  #remeasure() {
    return this.#measured.take({ profile: this.profile, romImage: this.#rom.image, firmwareDigest: this.#booted.digest, mode: this.#mode });
  }

  #makeHooks(): SpdmResponderHooks {
    return {
      identity: () => ({
        chainDer: [...this.#vendorChainDer, this.#fuses.identityDer, this.#booted.aliasCertificate.der],
        leafPrivateKey: this.#booted.aliasPrivateKey,
      }),
      measurements: () => this.#remeasure(),
      opaque: () => encodeOpaque({
        mode: this.#mode, svn: this.#booted.status.svn, fwid: this.#booted.digest, firmwareVersion: this.#booted.status.version,
        linkMode: linkModeClaim(), measurementChangeCounts: this.#measured.changeCounts(),
      }),
      onSessionEstablished: ({ sessionId, exportMaster }) => {
        if (this.#mode === 'off' || this.#sessionUsedThisEpoch) {
          this.#event('SESSION_REFUSED', { sessionId, reason: this.#mode === 'off' ? 'mode-off' : 'one-session-per-epoch' });
          return;
        }
        this.#sessionUsedThisEpoch = true;
        this.#session = new DeviceSession(sessionId, exportMaster, this.#limits);
        this.#event('SESSION_ESTABLISHED', { sessionId });
      },
      onSessionEnded: (sessionId) => {
        if (this.#session?.sessionId === sessionId) this.#endSession('end-session');
      },
      onSecuredCommand: (sessionId, command) => {
        const session = this.#session;
        if (session === undefined || session.sessionId !== sessionId) {
          throw new EmuError('DEV_NOT_SESSION', 'this session does not hold the device (refused, ended or reset)');
        }
        return handleSecuredCommand(command, session, {
          selfId: this.deviceId, mode: this.#mode, epoch: this.#epoch, firmware: this.#booted.status, firmwareDigest: this.#booted.digest,
          onReady: () => this.#event('READY', { sessionId }),
        });
      },
    };
  }
}

// Test hook: the folder's index does not export it, so only tests (and nothing in another folder) reach it.
const hooksForTests = new WeakMap<EmulatedAccelerator, SpdmResponderHooks>();

/** The hooks the SPDM responder calls, for tests that drive a session without the SPDM engine. */
export function spdmHooksForTest(device: EmulatedAccelerator): SpdmResponderHooks {
  const hooks = hooksForTests.get(device);
  assert(hooks !== undefined, 'not a device made by createAcceleratorDevice');
  return hooks;
}

export function createAcceleratorDevice(options: AcceleratorDeviceOptions): EmulatedAccelerator {
  return new EmulatedAccelerator(options);
}

/** The host-visible link between two devices: each one's frames land in the other's inbound `link` slots. */
export function connectPeers(a: AcceleratorDevice, b: AcceleratorDevice): void {
  if (!(a instanceof EmulatedAccelerator) || !(b instanceof EmulatedAccelerator)) {
    throw new EmuError('DEV_BAD_PEER', 'connectPeers links devices made by createAcceleratorDevice');
  }
  a.connectPeer(b.deviceId, b.link);
  b.connectPeer(a.deviceId, a.link);
}
