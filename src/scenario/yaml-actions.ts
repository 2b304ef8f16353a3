import { toBase64 } from '../crypto/index.ts';
import { buildEnclaveImage, loadEnclaveApp } from '../enclave/index.ts';
import { EmuError } from '../errors.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { ENCRYPTION_CONTEXT, PATHS, clientInference, deployModel, launchEnclave, type Deployment, type World } from '../world/index.ts';
import type { ScenarioContext } from './define.ts';
import type { Principal } from './principals.ts';

/** One validated step of a teaching script. */
export interface Step {
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Its place in `steps:`, for notes. */
  readonly index: number;
}

interface Param {
  readonly required: boolean;
  readonly expected: string;
  valid(value: unknown): boolean;
}

interface ActionSpec {
  /** The principal whose capability this is; absent for what the platform and its users do anyway. */
  readonly attacker?: Principal;
  readonly params: Readonly<Record<string, Param>>;
  readonly summary: string;
}

const bool: Param = { required: false, expected: 'true or false', valid: (v) => typeof v === 'boolean' };
const oneOf = (values: readonly string[], required = false): Param => ({ required, expected: values.map((v) => JSON.stringify(v)).join(' or '), valid: (v) => values.includes(v as string) });
const text: Param = { required: true, expected: 'a non-empty string', valid: (v) => typeof v === 'string' && v.length > 0 && v.length <= 1024 };

/** The built-in actions of teaching scripts. */
export const ACTIONS: Readonly<Record<string, ActionSpec>> = {
  deploy: { params: {}, summary: 'the owner creates the key, seals the weights and uploads them to the parent (plants the canaries)' },
  launch: { params: { debugMode: bool, image: oneOf(['default', 'modified']) }, summary: 'the parent launches an enclave: the approved image, or a modified one (another PCR0)' },
  'client.infer': { params: {}, summary: 'a client attests the enclave and runs its prompt' },
  terminate: { params: {}, summary: 'the parent terminates the enclave it launched last' },
  note: { params: { text }, summary: 'narration for the report' },
  'parent.kms.decrypt': { attacker: 'parent-admin', params: { recipient: oneOf(['none'], true) }, summary: "the parent calls KMS Decrypt on the data key with its own role" },
  'parent.scan-memory': { attacker: 'parent-admin', params: {}, summary: 'the parent reads every page of its memory that holds data' },
  'parent.read-disk': { attacker: 'parent-admin', params: { path: text }, summary: 'the parent reads a file of its disk' },
  'parent.console': { attacker: 'parent-admin', params: {}, summary: "the parent reads its debug-mode enclaves' console" },
  'operator.list': { attacker: 'operator', params: {}, summary: 'the operator lists instances' },
  'operator.metrics': { attacker: 'operator', params: {}, summary: "the operator reads the parent instance's metrics" },
};

/** The approved app with one comment appended: the same behaviour, another measurement. */
function modifiedImage(world: World): Uint8Array {
  const app = loadEnclaveApp(world.approvedImage);
  const files = [...app.files].map(([path, data]) => ({
    path,
    data: path === app.entry ? new TextEncoder().encode(`${app.source}\n// rebuilt by the parent-admin\n`) : data,
  }));
  return buildEnclaveImage({ appFiles: files, entry: app.entry, name: 'nitro-emu-default-app', version: '1.0' });
}

interface ScriptState {
  deployment: Deployment | undefined;
  enclave: EnclaveRecord | undefined;
}

function need<T>(value: T | undefined, step: Step, what: string): T {
  // A script that uses what an earlier step should have made is a script error, typed so reports name it.
  if (value === undefined) throw new EmuError('SCENARIO_SCRIPT_ORDER', `steps[${step.index}] ${step.action} needs ${what} first`);
  return value;
}

async function runStep(ctx: ScenarioContext, state: ScriptState, step: Step): Promise<void> {
  const { world } = ctx;
  const parent = ctx.attacker['parent-admin'];
  const operator = ctx.attacker.operator;
  switch (step.action) {
    case 'deploy':
      state.deployment = await deployModel(world);
      return;
    case 'launch': {
      const image = step.params['image'] === 'modified' ? modifiedImage(world) : undefined;
      const launched = await launchEnclave(world, { ...(image ? { image } : {}), debugMode: step.params['debugMode'] === true });
      state.enclave = launched.record;
      ctx.note(`steps[${step.index}] launch: ${launched.ready ? 'the enclave got its key and serves' : `the enclave stopped: ${launched.failure ?? ''}`}`);
      return;
    }
    case 'client.infer': {
      const outcome = await clientInference(world, need(state.enclave, step, 'launch'), need(state.deployment, step, 'deploy'));
      ctx.note(`steps[${step.index}] client.infer: ${outcome.completed ? `output ${outcome.matches ? 'matches' : 'differs from'} the reference` : `failed: ${outcome.error ?? ''}`}`);
      return;
    }
    case 'terminate': {
      const enclave = need(state.enclave, step, 'launch');
      if (enclave.state === 'running') world.host.terminateEnclave(enclave.enclaveId, 'parent-admin');
      return;
    }
    case 'note':
      ctx.note(String(step.params['text']));
      return;
    case 'parent.kms.decrypt': {
      const handle = need(parent, step, 'the parent-admin handle');
      const deployment = need(state.deployment, step, 'deploy');
      const reply = await handle.kms('Decrypt', { KeyId: deployment.keyId, CiphertextBlob: toBase64(handle.readDisk(PATHS.dataKey)), EncryptionContext: ENCRYPTION_CONTEXT });
      ctx.note(`steps[${step.index}] parent.kms.decrypt: ${reply.status === 200 ? 'KMS released the data key' : `KMS refused (${String(reply.body['__type'])})`}`);
      return;
    }
    case 'parent.scan-memory':
      ctx.note(`steps[${step.index}] parent.scan-memory: ${need(parent, step, 'the parent-admin handle').scanMemory()} pages read`);
      return;
    case 'parent.read-disk':
      need(parent, step, 'the parent-admin handle').readDisk(String(step.params['path']));
      return;
    case 'parent.console':
      ctx.note(`steps[${step.index}] parent.console: ${need(parent, step, 'the parent-admin handle').consoleLines().length} lines`);
      return;
    case 'operator.list':
      need(operator, step, 'the operator handle').listInstances();
      return;
    case 'operator.metrics':
      need(operator, step, 'the operator handle').metrics(world.parent.instanceId);
      return;
    default:
      throw new EmuError('SCENARIO_SCRIPT_ACTION', `unknown action ${step.action}`);
  }
}

/** The attack of a compiled script: its steps in order, each in the simulator like any scenario's code. */
export function compileSteps(steps: readonly Step[]): (ctx: ScenarioContext) => Promise<void> {
  const frozen = steps.map((s) => Object.freeze({ ...s, params: Object.freeze({ ...s.params }) }));
  return async (ctx) => {
    const state: ScriptState = { deployment: undefined, enclave: undefined };
    for (const step of frozen) await runStep(ctx, state, step);
  };
}
