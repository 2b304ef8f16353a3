import { EmuError, isEmuError } from '../errors.ts';
import { confidentialCopyNs, plainCopyNs } from './cost.ts';
import { DEFAULT_LIMITS, LockstepChannel, type LockstepLimits } from './lockstep.ts';
import { ProtectedMemory } from './protected-memory.ts';
import { equalConstantTime, readyProof } from './ready.ts';
import { StagingBuffers } from './staging.ts';

/**
 * The device's data path: a bounded submission ring, a doorbell, a completion ring, and the copy engine. DECRYPT
 * checks the tag before it writes; ENCRYPT seals protected data into a staging slot. Mode changes wait for reset.
 */
export type DeviceMode = 'off' | 'confidential' | 'devtools';
export type Principal = 'enclave' | 'parent';
export type CopyOp = 'decrypt' | 'encrypt';

export interface Descriptor {
  readonly id: number;
  readonly op: CopyOp;
  readonly stagingSlot: number;
  readonly protectedAddress: number;
  readonly length: number;
}

export interface Completion {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
}

export interface DeviceOptions {
  readonly capacityBytes: number;
  readonly ringSlotsMax: number;
  readonly stagingSlotsMax: number;
  readonly transferBytesMax: number;
  readonly limits?: LockstepLimits;
}

export class ConfidentialDevice {
  readonly staging: StagingBuffers;
  private readonly memory: ProtectedMemory;
  private readonly options: DeviceOptions;
  private modeNow: DeviceMode = 'off';
  private modePending: DeviceMode = 'off';
  private epochNow = 0;
  private session: { secret: Uint8Array; h2d: LockstepChannel; d2h: LockstepChannel } | undefined;
  private ready = false;
  private submissions: Descriptor[] = [];
  private completions: Completion[] = [];
  private busyNsTotal = 0;
  private errorsTotal = 0;

  constructor(options: DeviceOptions) {
    this.options = options;
    this.memory = new ProtectedMemory(options.capacityBytes);
    this.staging = new StagingBuffers(options.stagingSlotsMax, options.transferBytesMax + 16);
  }

  get mode(): DeviceMode { return this.modeNow; }
  get epoch(): number { return this.epochNow; }
  get isReady(): boolean { return this.ready; }
  get busyNs(): number { return this.busyNsTotal; }
  get errorCount(): number { return this.errorsTotal; }
  residentPages(): number { return this.memory.residentPages(); }

  /** Host register write; it only takes effect at the next reset (research/gpu-cc.md §1.1). */
  setPendingMode(mode: DeviceMode): void {
    this.modePending = mode;
  }

  /** Scrub, drop the session and the rings, leave NOT_READY, apply the pending mode. */
  reset(): void {
    this.memory.scrub();
    this.staging.clear();
    this.session = undefined;
    this.ready = false;
    this.submissions = [];
    this.completions = [];
    this.modeNow = this.modePending;
    this.epochNow++;
  }

  /** The device end of an established session; the SPDM key exchange will call this. */
  establishSession(sessionSecret: Uint8Array): void {
    if (this.modeNow === 'off') throw new EmuError('ACCEL_MODE_OFF', 'no sessions with confidential mode off');
    const limits = this.options.limits ?? DEFAULT_LIMITS;
    const h2d = new LockstepChannel(sessionSecret, 'h2d-data', limits);
    const d2h = new LockstepChannel(sessionSecret, 'd2h-data', limits);
    this.session = { secret: sessionSecret.slice(), h2d, d2h };
    this.ready = false;
  }

  setReady(sessionProof: Uint8Array): void {
    if (this.session === undefined) throw new EmuError('ACCEL_NO_SESSION', 'SET_READY without a session');
    if (!equalConstantTime(sessionProof, readyProof(this.session.secret, this.epochNow))) {
      throw new EmuError('ACCEL_BAD_READY_PROOF', 'SET_READY proof does not match the session');
    }
    this.ready = true;
  }

  submit(principal: Principal, descriptor: Descriptor): void {
    if (this.modeNow === 'off') throw new EmuError('ACCEL_MODE_OFF', 'the emulated data path needs confidential mode');
    if (!this.ready) throw new EmuError('ACCEL_NOT_READY', 'device refuses work before SET_READY');
    // The binding gives the submission doorbell to the enclave only; the parent holds no session.
    if (principal !== 'enclave') throw new EmuError('ACCEL_NOT_SESSION_HOLDER', 'work from outside the session refused');
    if (this.submissions.length >= this.options.ringSlotsMax) {
      throw new EmuError('ACCEL_RING_FULL', 'submission ring is full', { ringSlotsMax: this.options.ringSlotsMax });
    }
    if (!Number.isSafeInteger(descriptor.length) || descriptor.length < 0 || descriptor.length > this.options.transferBytesMax) {
      throw new EmuError('ACCEL_TRANSFER_TOO_LARGE', 'descriptor length out of bounds', {
        length: descriptor.length, transferBytesMax: this.options.transferBytesMax,
      });
    }
    this.submissions.push({ ...descriptor });
  }

  /** Runs every queued descriptor in order; failures become error completions, never partial writes. */
  doorbell(principal: Principal): number {
    if (!this.ready) throw new EmuError('ACCEL_NOT_READY', 'device refuses work before SET_READY');
    if (principal !== 'enclave') throw new EmuError('ACCEL_NOT_SESSION_HOLDER', 'doorbell from outside the session refused');
    const batch = this.submissions;
    this.submissions = [];
    for (const descriptor of batch) this.completions.push(this.execute(descriptor));
    return batch.length;
  }

  pollCompletions(): Completion[] {
    const out = this.completions;
    this.completions = [];
    return out;
  }

  private execute(descriptor: Descriptor): Completion {
    const session = this.session;
    if (session === undefined) return { id: descriptor.id, ok: false, code: 'ACCEL_NO_SESSION' };
    try {
      this.memory.checkRange(descriptor.protectedAddress, descriptor.length);
      if (descriptor.op === 'decrypt') {
        const sealed = this.staging.read(descriptor.stagingSlot);
        if (sealed.length !== descriptor.length + 16) {
          throw new EmuError('ACCEL_LENGTH_MISMATCH', 'staging buffer does not match the descriptor length');
        }
        const plaintext = session.h2d.open(sealed); // tag first: nothing reaches memory unless it holds
        this.memory.write(descriptor.protectedAddress, plaintext);
      } else {
        const plaintext = this.memory.read(descriptor.protectedAddress, descriptor.length);
        this.staging.write(descriptor.stagingSlot, session.d2h.seal(plaintext));
      }
      this.busyNsTotal += this.modeNow === 'off' ? plainCopyNs(descriptor.length) : confidentialCopyNs(descriptor.length);
      return { id: descriptor.id, ok: true };
    } catch (error) {
      if (!isEmuError(error)) throw error;
      this.errorsTotal++;
      return { id: descriptor.id, ok: false, code: error.code };
    }
  }
}
