import { clientInference } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';

/** PA-19: an app's logs and console go to the parent by design; the question is only what they say. */
export default defineScenario({
  id: 'PA-19',
  name: 'pa.enclave.harvest-logs',
  title: 'Parent admin harvests the logs and console lines the enclave emits',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0025'] },
  defence: 'appLogHygiene',
  expect: 'blocked',
  teaching:
    'Real enclave apps ship their logs to the parent (a log agent there forwards them); the parent-admin collects every line while the enclave loads its model and serves a client. ' +
    'The app logs only fixed, non-secret events, so the collected lines carry no key, prompt or output. ' +
    'A verbose build (the control) logs the data key, the prompt and the output, and the canary scan finds them in the parent’s log collector.',
  async setup(ctx) {
    const launched = await ctx.deployAndLaunch();
    // A client uses the service as usual, so the log covers serving too.
    await clientInference(ctx.world, launched.enclave, launched.deployment);
    return launched;
  },
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    // The log collector is the parent-admin's own software: what it kept is the admin's to read.
    const lines = ctx.world.appLogLines;
    for (const line of lines) ctx.loot('app log', line);
    const consoleLines = pa.consoleLines();
    ctx.note(`harvested ${lines.length} log lines and ${consoleLines.length} console lines`);
  },
});
