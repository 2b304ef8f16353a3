import type { Cluster } from '../cluster/index.ts';
import type { World } from '../world/index.ts';
import { deployModel, launchEnclave } from '../world/index.ts';
import { assert } from '../errors.ts';
import { handlesFor } from './capabilities.ts';
import { RECORDS_MAX, emptyRecords, type ScenarioRecords } from './checkers/records.ts';
import type { Scenario, ScenarioContext } from './define.ts';

/** Bound on narration lines per run. */
export const NOTES_MAX = 1000;

/** The context a run hands to setup, attack and check, and what it collected for the checkers. */
export interface RunContext {
  readonly ctx: ScenarioContext;
  readonly notes: string[];
  readonly records: ScenarioRecords;
}

export function createContext(world: World, scenario: Pick<Scenario, 'attacker'>, defended: boolean, cluster?: Cluster): RunContext {
  const notes: string[] = [];
  const records = emptyRecords();
  const attacker = handlesFor(world, scenario.attacker, cluster);
  const push = <T>(list: T[], item: T, what: string) => {
    assert(list.length < RECORDS_MAX, `more than ${RECORDS_MAX} ${what} records in one run`);
    list.push(item);
  };
  const ctx: ScenarioContext = {
    world,
    ...(cluster === undefined ? {} : { cluster }),
    seed: world.sim.seed,
    defended,
    attacker,
    note: (text) => {
      assert(notes.length < NOTES_MAX, `more than ${NOTES_MAX} notes in one run`);
      notes.push(text);
    },
    loot: (channel, data) => world.observe(scenario.attacker, channel, data),
    deployAndLaunch: async (options = {}) => {
      const deployment = await deployModel(world);
      const launched = await launchEnclave(world, options);
      return { deployment, enclave: launched.record, ready: launched.ready };
    },
    failClosed: (label, outcome) => push(records.failClosed, { label, ...outcome }, 'fail-closed'),
    recordLink: (event) => push(records.links, event, 'link'),
    recordDelivery: (event) => push(records.deliveries, event, 'delivery'),
  };
  return { ctx, notes, records };
}
