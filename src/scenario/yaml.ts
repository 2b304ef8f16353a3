import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import { EmuError } from '../errors.ts';
import { DEFENCE_NAMES } from '../world/index.ts';
import { defineScenario, type InvariantName, type Scenario, type ScenarioMeta } from './define.ts';
import { PRINCIPALS } from './principals.ts';
import { ACTIONS, compileSteps, type Step } from './yaml-actions.ts';

/** Bounds on a teaching script: they are short by design. */
export const YAML_BYTES_MAX = 64 * 1024;
export const YAML_STEPS_MAX = 100;

const INVARIANTS: readonly InvariantName[] = ['INV-NO-CANARY', 'INV-KEYS-ATTESTED', 'INV-LINK', 'INV-FAIL-CLOSED', 'INV-AUDIT', 'INV-FRESH', 'INV-SCRUB', 'INV-DELIVERY'];
const TOP_LEVEL = ['id', 'name', 'title', 'attacker', 'promises', 'invariants', 'tags', 'defence', 'expect', 'teaching', 'steps'] as const;

type Path = readonly (string | number)[];

/** `steps[2].action` from ['steps', 2, 'action']. */
function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Collects problems as `FILE:LINE: FIELD: message`, the line being where the field (or its nearest parent) is. */
class Problems {
  readonly list: string[] = [];
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #file: string;

  constructor(doc: Document, lines: LineCounter, file: string) {
    this.#doc = doc;
    this.#lines = lines;
    this.#file = file;
  }

  add(path: Path, message: string): void {
    if (this.list.length >= 50) return;
    this.list.push(`${this.#file}:${this.#lineOf(path)}: ${path.length > 0 ? `${fieldName(path)}: ` : ''}${message}`);
  }

  #lineOf(path: Path): number {
    // The deepest node of the path that exists: a missing field is reported where its map starts.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range !== undefined) return this.#lines.linePos(range[0]).line;
    }
    return 1;
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function validateMeta(data: Record<string, unknown>, problems: Problems): void {
  for (const key of Object.keys(data)) if (!(TOP_LEVEL as readonly string[]).includes(key)) problems.add([key], `unknown field (expected one of ${TOP_LEVEL.join(', ')})`);
  for (const key of ['id', 'name', 'title', 'teaching'] as const) {
    if (typeof data[key] !== 'string' || data[key] === '') problems.add(data[key] === undefined ? [] : [key], data[key] === undefined ? `missing field "${key}"` : 'must be a non-empty string');
  }
  if (!PRINCIPALS.includes(data['attacker'] as never)) problems.add(data['attacker'] === undefined ? [] : ['attacker'], data['attacker'] === undefined ? 'missing field "attacker"' : `unknown principal ${JSON.stringify(data['attacker'])} (one of ${PRINCIPALS.join(', ')})`);
  if (!isStringArray(data['promises']) || data['promises'].some((p) => !['P1', 'P2', 'P3'].includes(p))) problems.add(['promises'], 'must be a list of P1, P2, P3');
  if (!isStringArray(data['invariants']) || data['invariants'].length === 0) problems.add(['invariants'], `must be a non-empty list of ${INVARIANTS.join(', ')}`);
  else data['invariants'].forEach((inv, i) => (INVARIANTS as readonly string[]).includes(inv) || problems.add(['invariants', i], `unknown invariant ${JSON.stringify(inv)}`));
  const tags = data['tags'];
  if (tags !== undefined) {
    const t = tags as Record<string, unknown>;
    if (typeof tags !== 'object' || tags === null || Object.keys(t).some((k) => k !== 'attack' && k !== 'atlas') || (t['attack'] !== undefined && !isStringArray(t['attack'])) || (t['atlas'] !== undefined && !isStringArray(t['atlas']))) {
      problems.add(['tags'], 'must be a map with optional lists "attack" and "atlas"');
    }
  }
  if (data['expect'] !== 'blocked' && data['expect'] !== 'succeeds') problems.add(data['expect'] === undefined ? [] : ['expect'], data['expect'] === undefined ? 'missing field "expect"' : 'must be "blocked" or "succeeds"');
  const defence = data['defence'];
  if (defence === undefined) problems.add([], 'missing field "defence" (null for expect: succeeds)');
  else if (defence !== null && !(DEFENCE_NAMES as readonly unknown[]).includes(defence)) problems.add(['defence'], `unknown defence ${JSON.stringify(defence)} (one of ${DEFENCE_NAMES.join(', ')})`);
}

function validateSteps(data: Record<string, unknown>, problems: Problems): Step[] {
  const raw = data['steps'];
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(raw === undefined ? [] : ['steps'], raw === undefined ? 'missing field "steps"' : 'must be a non-empty list of actions');
    return [];
  }
  if (raw.length > YAML_STEPS_MAX) problems.add(['steps'], `at most ${YAML_STEPS_MAX} steps`);
  const steps: Step[] = [];
  raw.slice(0, YAML_STEPS_MAX).forEach((item: unknown, i) => {
    const step = typeof item === 'string' ? { action: item } : item;
    if (typeof step !== 'object' || step === null || Array.isArray(step)) {
      problems.add(['steps', i], 'must be an action name or a map with "action"');
      return;
    }
    const { action, ...params } = step as Record<string, unknown>;
    const spec = typeof action === 'string' ? ACTIONS[action] : undefined;
    const at: Path = typeof item === 'string' ? ['steps', i] : ['steps', i, 'action'];
    if (spec === undefined) {
      problems.add(at, action === undefined ? 'missing field "action"' : `unknown action ${JSON.stringify(action)} (one of ${Object.keys(ACTIONS).join(', ')})`);
      return;
    }
    if (spec.attacker !== undefined && spec.attacker !== data['attacker']) problems.add(at, `${String(action)} is a ${spec.attacker} capability, but the attacker is ${String(data['attacker'])}`);
    for (const [key, value] of Object.entries(params)) {
      const param = spec.params[key];
      if (param === undefined) problems.add(['steps', i, key], `unknown parameter of ${String(action)} (expected ${Object.keys(spec.params).join(', ') || 'none'})`);
      else if (!param.valid(value)) problems.add(['steps', i, key], `must be ${param.expected}`);
    }
    for (const [key, param] of Object.entries(spec.params)) if (param.required && !(key in params)) problems.add(['steps', i], `${String(action)} needs "${key}"`);
    steps.push({ action: action as string, params, index: i });
  });
  return steps;
}

/**
 * Compiles a YAML teaching script (ScenarioMeta fields and `steps:` of built-in actions) into a
 * Scenario. Every problem is reported at once, each as `FILE:LINE: FIELD: message`.
 */
export function compileYamlScenario(text: string, file = 'scenario.yaml'): Scenario<any> {
  if (text.length > YAML_BYTES_MAX) throw new EmuError('SCENARIO_YAML_INVALID', `${file}: larger than ${YAML_BYTES_MAX} bytes`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const list = doc.errors.slice(0, 10).map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw new EmuError('SCENARIO_YAML_INVALID', list.join('\n'), { problems: list });
  }
  const problems = new Problems(doc, lines, file);
  if (!isMap(doc.contents)) {
    problems.add([], 'a scenario script is a map of fields (id, name, …, steps)');
    throw new EmuError('SCENARIO_YAML_INVALID', problems.list.join('\n'), { problems: problems.list });
  }
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 10 }) as Record<string, unknown>;
  } catch (error) {
    // The yaml library refuses some documents only here (an alias before its anchor, too many aliases), with a
    // plain ReferenceError: that is bad input, reported like every other problem.
    if (!(error instanceof Error)) throw error;
    problems.add([], error.message.split('\n')[0]!);
    throw new EmuError('SCENARIO_YAML_INVALID', problems.list.join('\n'), { problems: problems.list });
  }
  validateMeta(data, problems);
  const steps = validateSteps(data, problems);
  if (problems.list.length > 0) throw new EmuError('SCENARIO_YAML_INVALID', problems.list.join('\n'), { problems: problems.list });
  const tags = (data['tags'] ?? {}) as { attack?: string[]; atlas?: string[] };
  const meta: ScenarioMeta = {
    id: data['id'] as string,
    name: data['name'] as string,
    title: data['title'] as string,
    attacker: data['attacker'] as ScenarioMeta['attacker'],
    promises: data['promises'] as ScenarioMeta['promises'],
    invariants: data['invariants'] as ScenarioMeta['invariants'],
    tags: { attack: tags.attack ?? [], atlas: tags.atlas ?? [] },
    defence: data['defence'] as ScenarioMeta['defence'],
    expect: data['expect'] as ScenarioMeta['expect'],
    teaching: data['teaching'] as string,
  };
  try {
    return defineScenario({ ...meta, attack: compileSteps(steps) });
  } catch (error) {
    // defineScenario's own checks (id and slug formats, defence for blocked): reported like the rest.
    if (!(error instanceof TypeError)) throw error;
    problems.add([], error.message);
    throw new EmuError('SCENARIO_YAML_INVALID', problems.list.join('\n'), { problems: problems.list });
  }
}
