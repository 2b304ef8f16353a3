// The demos built on the world flow (src/world runFlow): the happy path, and the same flow with a debug-mode enclave.
// The flow narrates each step with this run's facts; here each step gets the plain-words frame a newcomer needs.
import { World, runFlow, type FlowReport, type FlowStep } from '../world/index.ts';
import type { GuidedDemo, GuidedOutcome, GuidedRunOptions, GuidedRunReport, Narrator } from './types.ts';

/** One accelerator: the whole story (device attestation, bounce buffers) at the smallest cost. */
const ACCELERATORS = { flavour: 'gpu', count: 1 } as const;

interface Frame {
  readonly title: string;
  readonly intro: string;
  readonly why: (world: World, report: FlowReport) => string;
  /** Who saw what, when the flow's own line does not fit how the step ended. */
  readonly who?: (report: FlowReport) => string | undefined;
}

/** The newcomer's frame around each flow step, by the flow's own title (a step the table lacks is told as the flow tells it). */
const FRAMES: ReadonlyArray<{ readonly match: RegExp; readonly frame: Frame }> = [
  // First: its title starts like the KMS step's.
  {
    match: /accelerators/,
    frame: {
      title: 'The enclave checks its GPU and streams the model to it',
      intro:
        'Before trusting a GPU with the weights, the enclave asks it for signed measurements (firmware, mode) and checks them against the vendor’s root; then the two agree on a session key.',
      why: () =>
        'The weights cross the parent’s memory (the “bounce buffers”) only as AES-GCM ciphertext, and the GPU checks each chunk’s tag before it writes a byte: the parent can neither read nor alter the model on the way.',
    },
  },
  {
    match: /^Owner creates the model key/,
    frame: {
      title: 'The model owner locks the key to one enclave image',
      intro: 'The owner creates a key in KMS (the key service). Its policy says who may use it for what.',
      why: (world) =>
        world.defences.attestedKeyPolicy
          ? 'Whoever wants this key must prove, with a document signed by the hardware, that it is exactly the approved code (its measurement, PCR0). A login or an admin password is not enough.'
          : 'CONTROL: this policy lets the parent’s own login decrypt, with no proof of what code is asking: anyone with the parent’s role can get the key.',
    },
  },
  {
    match: /^Owner envelope-encrypts/,
    frame: {
      title: 'The owner encrypts the model and gives it to the parent',
      intro: 'The weights are encrypted under a fresh data key, and the data key itself is encrypted by KMS. Both are stored on the parent’s disk.',
      why: () => 'The parent stores the model but holds only ciphertext: without the data key, which only KMS can unwrap, the file is noise.',
    },
  },
  {
    match: /^Parent launches the enclave/,
    frame: {
      title: 'The parent starts the enclave',
      intro:
        'The parent (the customer’s ordinary VM, whose administrator we do not trust with the model) asks the hypervisor for an enclave. The hypervisor takes CPUs and memory away from the parent, loads the image and measures it: PCR0 is a hash of the image’s bytes.',
      why: (_world, report) =>
        report.enclave?.debugMode
          ? 'This enclave runs in debug mode, where the parent can read its console. So the hardware reports its PCR0 as all zeros: a debug enclave can never pass for the approved image.'
          : 'Change one byte of the image and PCR0 changes. The enclave’s memory is no longer mapped for the parent, so the parent cannot look inside.',
    },
  },
  {
    match: /^Enclave attests/,
    frame: {
      title: 'The enclave proves what it is and asks for the key',
      who: (report) => (report.probes['enclave'] === undefined ? undefined : 'The parent relayed the attestation document (it is public) and KMS’s refusal; no key crossed.'),
      intro:
        'Inside, the enclave makes a key pair and asks its attestation device (the NSM) for a signed document holding its PCRs and its public key. It sends that document to KMS through the parent, with the encrypted data key.',
      why: (_world, report) =>
        report.probes['enclave'] === undefined
          ? 'KMS checked the signature up to the Nitro root and PCR0 against the policy, then encrypted its answer to the public key in the document: only this enclave can open it, even though the parent carried it.'
          : report.enclave?.debugMode && /AccessDenied/.test(report.probes['enclave'])
            ? 'Stopped: the document says PCR0 is all zeros (debug mode), which is not the approved image, so the policy’s condition fails and KMS answers AccessDenied. The key never leaves KMS.'
            : 'Stopped: KMS refused, so the enclave holds no key and nothing secret is released.',
    },
  },
  {
    match: /^Client attests/,
    frame: {
      title: 'A client checks the enclave and asks it a question',
      intro: 'A client asks the enclave for its own attestation document, checks it, and sends a prompt encrypted to a key bound to that document.',
      why: () => 'The parent relays the prompt and the answer but sees only ciphertext; the answer is compared with a reference computed outside, bit for bit.',
    },
  },
  {
    match: /^The parent-admin and the operator/,
    frame: {
      title: 'The parent’s admin and the host operator try their luck',
      intro: 'The parent’s admin reads all the memory it can address and calls KMS with its own role; the host operator uses every management API it has.',
      why: (_world, report) =>
        report.probes['parentDirectDecrypt'] === 'released'
          ? 'CONTROL: KMS released the key to the parent’s own role, with no attestation at all: the parent can now decrypt the model on its disk.'
          : 'KMS refuses a Decrypt without attestation, the enclave’s memory is not the parent’s any more, and the operator has no API that reads guest memory. Everything they obtained is scanned for the secrets’ canaries below.',
    },
  },
  {
    match: /^Teardown/,
    frame: {
      title: 'The enclave is shut down',
      intro: 'The enclave is terminated and its CPUs and memory go back to the parent; its GPU is reset.',
      why: (world) =>
        world.defences.scrubOnRelease
          ? 'The memory is zeroed before the parent gets it back, and the GPU is scrubbed before anyone else may use it: nothing is left behind.'
          : 'CONTROL: the memory goes back without being zeroed: whatever the enclave held is now readable by the parent.',
    },
  },
];

function frameOf(step: FlowStep): Frame {
  const found = FRAMES.find((f) => f.match.test(step.title));
  return found?.frame ?? { title: step.title, intro: '', why: () => 'See who could read it.' };
}

/** ready / denied / leaked from the flow's own verdicts: every invariant but the output check must hold. */
function judge(report: FlowReport): { outcome: GuidedOutcome; reason: string } {
  const broken = Object.entries(report.invariants).filter(([name, v]) => !v.held && name !== 'FLOW-OUTPUT-MATCHES-REFERENCE');
  if (broken.length > 0 || report.leaks.length > 0) {
    const [name, verdict] = broken[0] ?? ['INV-NO-CANARY', { detail: `${report.leaks.length} canary sighting(s)` }];
    return { outcome: 'leaked', reason: `${name} violated: ${verdict.detail}` };
  }
  const refusal = report.probes['enclave'];
  if (refusal !== undefined) return { outcome: 'denied', reason: `the enclave got no key: ${refusal}` };
  if (report.inference.completed && report.inference.matches) {
    return { outcome: 'ready', reason: 'the enclave got its key from KMS, served the client, and the output equals the reference; every invariant held' };
  }
  return { outcome: 'error', reason: `the enclave got its key but served no matching output: ${report.inference.error ?? 'output differs from the reference'}` };
}

/** The closing step: what every principal outside the TCB ended up holding. */
function ledgerStep(report: FlowReport, say: Narrator): void {
  const outsiders = ['parent-admin', 'operator', 'co-tenant', 'network'].filter((p) => report.ledger[p] !== undefined);
  const held = outsiders.map((p) => {
    const s = report.ledger[p]!;
    return `${p}: ${s.observations} items, ${s.bytes} bytes, canaries ${s.canariesSeen.length === 0 ? 'none' : s.canariesSeen.join(', ')}`;
  });
  const broken = Object.entries(report.invariants).filter(([, v]) => !v.held).map(([n]) => n);
  say(
    {
      title: 'Who ended up with what',
      what: 'Every byte any principal obtained was filed in the observation ledger; the secrets (data key, weights, prompt, output) carry canary patterns, and the ledger of everyone outside the enclave and KMS is scanned for them.',
      who: held.join('; '),
      why:
        broken.length === 0
          ? 'No canary outside the trusted parts, and every invariant held.'
          : broken.length === 1 && broken[0] === 'FLOW-OUTPUT-MATCHES-REFERENCE'
            ? 'No canary outside the trusted parts, and every security invariant held. The one check that failed is that there is no inference output: the enclave never got its key, which is the point.'
            : `CONTROL: ${report.leaks.length > 0 ? 'a secret reached someone outside the enclave. ' : ''}Invariants not held: ${broken.join(', ')}.`,
    },
    report.virtualTimeNs,
  );
}

/** Both flow demos turn off the attested key policy as their control, which hands the key to the parent. */
function flowDemo(demo: Pick<GuidedDemo, 'id' | 'title' | 'seeAlso'> & { readonly debugMode: boolean; readonly defended: GuidedOutcome }): GuidedDemo {
  return {
    id: demo.id,
    title: demo.title,
    defence: 'attestedKeyPolicy',
    expect: { defended: demo.defended, control: 'leaked' },
    seeAlso: demo.seeAlso,
    run: (options, say) => narratedFlow(options, say, demo.debugMode),
  };
}

export const happyPath = flowDemo({
  id: 'happy-path',
  title: 'The whole flow when everything is in order: the approved enclave gets its key and serves a client',
  debugMode: false,
  defended: 'ready',
  seeAlso: ['nitro-emu demo', 'nitro-emu demo --defence-off attestedKeyPolicy'],
});

export const debugEnclaveDenied = flowDemo({
  id: 'debug-enclave-denied',
  title: 'A debug-mode enclave (its console open to the parent) asks for the key and is denied',
  debugMode: true,
  defended: 'denied',
  seeAlso: ['nitro-emu demo --debug-mode', 'nitro-emu scenario run PA-07'],
});

/** The flow, its steps told with their frames once the report says how each ended. */
async function narratedFlow(options: GuidedRunOptions, say: Narrator, debugMode: boolean): Promise<GuidedRunReport> {
  // The reasons need the whole report (a refusal is known only after its step): the steps are told once it is in.
  const pending: Array<{ step: FlowStep }> = [];
  const world = new World({
    seed: options.seed,
    epochMs: options.epochMs,
    defences: options.control ? { attestedKeyPolicy: false } : {},
    debugMode,
    accelerators: ACCELERATORS,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const report = await runFlow(world, (step) => void pending.push({ step }));
  for (const { step } of pending) {
    const frame = frameOf(step);
    say({ title: frame.title, what: `${frame.intro} In this run: ${step.what.replace(/\.$/, '')}.`.trim(), who: frame.who?.(report) ?? capitalised(step.readers), why: frame.why(world, report) }, step.timeNs);
  }
  ledgerStep(report, say);
  return { ...judge(report), digest: report.digest, virtualTimeNs: report.virtualTimeNs };
}

function capitalised(text: string): string {
  return text.length === 0 ? text : `${text[0]!.toUpperCase()}${text.slice(1)}`;
}
