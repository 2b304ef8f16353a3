import { sha256, toBase64, toHex, utf8 } from '../../crypto/index.ts';
import { EmuError, isEmuError } from '../../errors.ts';
import type { EnclaveRecord } from '../../hypervisor/index.ts';
import { canonicalJson } from '../../sim/index.ts';
import {
  ENCRYPTION_CONTEXT,
  PATHS,
  World,
  clientInference,
  deployModel,
  scanParentMemory,
  teardownEnclave,
  type Deployment,
  type InferenceOutcome,
  type WorldDefences,
} from '../../world/index.ts';
import { emptyRecords, runCheckers } from '../index.ts';
import { crashEnclave, crashParentProxy, restartParentProxy, scheduleKmsOutage } from '../../world/faults.ts';
import { describePlan, samplePlan, type SwarmPlan } from './plan.ts';

export interface SeedRunOptions {
  /** Defences switched off (a negative control of the swarm itself). */
  readonly defences?: Partial<WorldDefences>;
  readonly epochMs?: number;
  /** Replaces the seed's sampled plan (tests that pin one fault). */
  readonly plan?: SwarmPlan;
}

/** A safety invariant broken in one run. No output is not one of these: that is availability. */
export interface SeedViolation {
  readonly invariant: string;
  readonly detail: string;
}

export interface SeedResult {
  readonly seed: number;
  /** SHA-256 over the run's trace digest and verdicts: equal seeds and options give equal digests. */
  readonly digest: string;
  /** `completed`: the client got output equal to the reference; `unavailable`: it got none (a typed reason). */
  readonly outcome: 'completed' | 'unavailable';
  readonly reason: string;
  readonly violations: readonly SeedViolation[];
  readonly plan: string;
  readonly faultsFired: Readonly<Record<string, number>>;
  readonly launches: number;
  readonly virtualTimeNs: number;
}

// Supervision bounds, all in virtual time: the parent restarts a failed enclave, the client retries.
const LAUNCHES_MAX = 3;
const READY_TIMEOUT_NS = 60_000_000_000;
const RELAUNCH_BACKOFF_NS = 100_000_000;
const CLIENT_ATTEMPTS_MAX = 3;
const CLIENT_TIMEOUT_NS = 5_000_000_000;
const CLIENT_BACKOFF_NS = 50_000_000;
const PROBE_TIMEOUT_NS = 5_000_000_000;
/** Bound on one run's events: far above a faulty run's few thousand, far below a runaway. */
export const SEED_EVENTS_MAX = 2_000_000;

function messageOf(error: unknown): string {
  return isEmuError(error) ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The full flow under one seed's fault plan: deploy (fault-free set-up), launch under a supervisor
 * that relaunches a failed enclave, attested inference with client retries, the parent-admin's
 * probes, teardown, and every invariant checked on what happened — whether or not the run finished.
 */
export async function runSeed(seed: number, options: SeedRunOptions = {}): Promise<SeedResult> {
  const plan = options.plan ?? samplePlan(seed);
  const world = new World({
    seed,
    ...(options.defences ? { defences: options.defences } : {}),
    ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
    faultPlan: plan.sites,
  });
  const { sim } = world;
  const released: number[] = [];
  const state = { current: undefined as EnclaveRecord | undefined, ready: undefined as EnclaveRecord | undefined, crashed: false, launches: 0 };
  let inference: InferenceOutcome | undefined;
  let lastFailure = 'not attempted';
  let deployment: Deployment | undefined;

  const ensureEnclave = async (): Promise<EnclaveRecord | undefined> => {
    for (;;) {
      const { current } = state;
      if (current !== undefined && current === state.ready && current.state === 'running') return current;
      if (state.crashed && plan.enclaveCrash?.restart === false) return undefined;
      if (state.launches >= LAUNCHES_MAX) return undefined;
      // A failed application leaves its enclave running: terminate it (scrubbed) before relaunching.
      if (current !== undefined) released.push(...teardownEnclave(world, current, 'parent-admin'));
      state.launches++;
      const record = world.host.launchEnclave(world.parent, world.launchImage, { memoryMiB: 256, cpuCount: 2 });
      state.current = record;
      try {
        await sim.withTimeout(record.started, READY_TIMEOUT_NS, () => new EmuError('SWARM_ENCLAVE_NOT_READY', `${record.enclaveId} not ready in time`));
        if (record.state === 'running') state.ready = record;
      } catch (error) {
        lastFailure = messageOf(error);
        await sim.sleep(RELAUNCH_BACKOFF_NS, 'swarm relaunch back-off');
      }
    }
  };

  const work = async () => {
    sim.faults.pause();
    try {
      deployment = await deployModel(world);
    } finally {
      sim.faults.resume();
    }
    armCrashes(world, plan, state, released);
    for (let attempt = 0; attempt < CLIENT_ATTEMPTS_MAX && inference?.completed !== true; attempt++) {
      const enclave = await ensureEnclave();
      if (enclave === undefined) break;
      try {
        inference = await sim.withTimeout(clientInference(world, enclave, deployment), CLIENT_TIMEOUT_NS, () => new EmuError('SWARM_CLIENT_TIMEOUT', 'no answer from the enclave in time'));
      } catch (error) {
        inference = { completed: false, output: undefined, matches: false, error: messageOf(error) };
      }
      if (inference.error !== undefined) lastFailure = inference.error;
      if (inference.completed !== true) await sim.sleep(CLIENT_BACKOFF_NS, 'swarm client back-off');
    }
    // The parent-admin's own attempt at the key, as in the demo: with its role and no attestation.
    await sim
      .withTimeout(
        world.kmsEndpoint.call('parent-admin', { arn: world.arns.parentRole }, 'Decrypt', {
          KeyId: deployment.keyId,
          CiphertextBlob: toBase64(world.parent.disk.read(PATHS.dataKey)),
          EncryptionContext: ENCRYPTION_CONTEXT,
        }),
        PROBE_TIMEOUT_NS,
        () => new EmuError('SWARM_PROBE_TIMEOUT', 'KMS did not answer the probe'),
      )
      .catch(() => undefined);
    scanParentMemory(world, 'memory-read');
  };

  let stopped: string | undefined;
  const violations: SeedViolation[] = [];
  try {
    await sim.runUntil(work(), SEED_EVENTS_MAX);
  } catch (error) {
    stopped = messageOf(error);
    // A typed stop (SIM_STALLED, a refused deployment) is an availability failure; anything else is a
    // failure the emulator could not name, which fail-closed forbids.
    if (!isEmuError(error)) violations.push({ invariant: 'INV-FAIL-CLOSED', detail: `untyped failure: ${stopped}` });
  }
  // Teardown happens even after a stall, so what the parent gets back is checked in every run.
  if (state.current !== undefined) released.push(...teardownEnclave(world, state.current, 'parent-admin'));
  scanParentMemory(world, 'memory-read after release');

  // Every checker of the scenario engine; the flow files no link or delivery records, so those hold vacuously.
  const { verdicts } = runCheckers({ world, records: emptyRecords(), releasedFrames: released });
  for (const verdict of verdicts) if (!verdict.held) violations.push({ invariant: verdict.invariant, detail: verdict.detail });
  const reference = deployment === undefined ? undefined : toHex(deployment.reference);
  const output = inference?.output === undefined ? undefined : toHex(inference.output);
  const completed = inference?.completed === true;
  // Success must mean the right answer: a wrong output accepted as right is a safety failure.
  if (completed && output !== reference) violations.push({ invariant: 'INV-FAIL-CLOSED', detail: 'the client accepted output that differs from the reference' });
  const reason = completed ? 'output == reference' : (stopped ?? lastFailure);
  sim.record('swarm.verdict', { outcome: completed ? 'completed' : 'unavailable', violations: violations.map((v) => v.invariant) });
  const digest = toHex(
    sha256(utf8(canonicalJson({ seed, trace: sim.digest(), completed, reason, violations: violations.map((v) => [v.invariant, v.detail]) }))),
  );
  return {
    seed,
    digest,
    outcome: completed ? 'completed' : 'unavailable',
    reason,
    violations,
    plan: describePlan(plan),
    faultsFired: sim.faults.fired(),
    launches: state.launches,
    virtualTimeNs: sim.nowNs,
  };
}

/** Schedules the plan's crashes and outages, relative to now (the end of deployment). */
function armCrashes(
  world: World,
  plan: SwarmPlan,
  state: { current: EnclaveRecord | undefined; crashed: boolean },
  released: number[],
): void {
  const { sim } = world;
  if (plan.kmsOutage !== null) {
    const fromNs = sim.nowNs + plan.kmsOutage.atNs;
    scheduleKmsOutage(world, { fromNs, untilNs: fromNs + plan.kmsOutage.durationNs, mode: plan.kmsOutage.mode });
  }
  const proxy = plan.proxyCrash;
  if (proxy !== null) {
    sim.schedule(proxy.atNs, 'fault proxy crash', () => {
      crashParentProxy(world);
      sim.schedule(proxy.downNs, 'fault proxy restart', () => void restartParentProxy(world));
    });
  }
  if (plan.enclaveCrash !== null) {
    sim.schedule(plan.enclaveCrash.atNs, 'fault enclave crash', () => {
      if (state.current === undefined) return;
      state.crashed = true;
      released.push(...crashEnclave(world, state.current));
    });
  }
}
