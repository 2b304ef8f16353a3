// An eavesdropper on the fabric between two hosts (the setting of NET-01, told with src/cluster directly): a tap on
// rank 0's uplink records every packet while the enclaves attest each other and all-reduce their tensors.
import { createCluster, type NitroClusterReport } from '../cluster/index.ts';
import type { GuidedDemo, GuidedRunOptions, GuidedRunReport, Narrator } from './types.ts';

const HOSTS = 2;
const TAPPED_RANK = 0;

interface Frame {
  readonly match: RegExp;
  readonly title: string;
  readonly intro: string;
  readonly why: (sealed: boolean) => string;
}

/** The newcomer's frame around each step the cluster narrates, by the cluster's own title. */
const FRAMES: readonly Frame[] = [
  {
    match: /launch their enclaves/,
    title: 'Two hosts start their enclaves',
    intro: 'Two machines each run an enclave of the same approved image; each enclave gets its model key from its own KMS after attesting, as in the happy path.',
    why: () => 'Both enclaves’ attestation devices chain to the same Nitro root, so each can check the other’s document later.',
  },
  {
    match: /local tensor/,
    title: 'Each enclave computes its part of the job',
    intro: 'Each enclave runs inference on its own prompts; the numbers it will share with the other host are secret (a canary pattern is planted in them so a leak would show).',
    why: () => 'So far nothing has crossed the network: the results are inside the enclaves.',
  },
  {
    match: /attest each other/,
    title: 'The enclaves check each other over the network',
    intro: 'Before sending any data, the two enclaves run a handshake over the fabric: each sends an attestation document over a fresh key, and each checks the other’s (root, approved image, not debug mode). The link keys come out of that handshake.',
    why: () => 'The eavesdropper sees the handshake (public documents and public keys) but cannot compute the link keys from them.',
  },
  {
    match: /all-reduce/i,
    title: 'The enclaves add up their results over the network',
    intro: 'The enclaves exchange their tensors in a ring all-reduce over SRD (the fabric’s transport), packet by packet, and each ends with the sum.',
    why: (sealed) =>
      sealed
        ? 'Every packet is sealed with AES-256-GCM under the link keys, so what crosses the cable is ciphertext.'
        : 'CONTROL: link encryption is off, so every packet carries the tensors in the clear.',
  },
  {
    match: /Who saw what/,
    title: 'What the parents and the fabric saw',
    intro: 'Every frame the parents’ network devices and the eavesdropper’s tap touched is filed in the ledger and scanned for the canaries.',
    why: (sealed) => (sealed ? 'Only the public hellos and ciphertext crossed the fabric.' : 'CONTROL: the tensors crossed in plaintext, canaries and all.'),
  },
];

function frameOf(title: string): Frame {
  return FRAMES.find((f) => f.match.test(title)) ?? { match: /./, title, intro: '', why: () => '' };
}

async function run(options: GuidedRunOptions, say: Narrator): Promise<GuidedRunReport> {
  const cluster = createCluster({
    seed: options.seed,
    hosts: HOSTS,
    epochMs: options.epochMs,
    ...(options.control ? { defences: { linkEncryption: false } } : {}),
  });
  const uplink = cluster.network.uplinkOf(TAPPED_RANK);
  let packets = 0;
  let bytes = 0;
  // A passive tap: the network handle files every packet it sees in the network principal's ledger.
  cluster.network.tap(uplink, (packet) => {
    packets++;
    bytes += packet.payload?.length ?? 0;
  });
  const sealed = !options.control;
  const told: Array<{ title: string; detail: string; vtNs: number }> = [];
  const nowNs = () => cluster.members[0]!.world.sim.nowNs;
  say(
    {
      title: 'An eavesdropper taps the cable',
      what: `Someone with access to the data centre network (a switch, a cable, a mirror port) taps link ${uplink}, between host 0 and its switch, before the job starts. It records every packet in both enclaves’ exchange that crosses that link.`,
      who: 'The eavesdropper (the “network” principal) gets a copy of every packet on the link; it cannot change them.',
      why: 'Nothing on the fabric is trusted: the protection has to come from the enclaves themselves.',
    },
    nowNs(),
  );
  const report = (await cluster.run((title, detail) => void told.push({ title, detail, vtNs: nowNs() }))) as NitroClusterReport;
  for (const step of told) {
    const frame = frameOf(step.title);
    say({ title: frame.title, what: `${frame.intro} In this run: ${step.detail.replace(/\.$/, '')}.`.trim(), who: whoSees(frame, report), why: frame.why(sealed) }, step.vtNs);
  }
  const tapLeaks = report.leaks.filter((line) => line.includes('→ network'));
  say(
    {
      title: 'What the eavesdropper got',
      what: `The tap recorded ${packets} packets (${bytes} payload bytes) on link ${uplink}. The ledger scan looked for every secret’s canary in them, raw, hex and base64.`,
      who:
        tapLeaks.length === 0
          ? 'The eavesdropper holds only ciphertext and public handshake messages: no canary.'
          : `The eavesdropper holds the secrets: ${tapLeaks.slice(0, 4).join('; ')}${tapLeaks.length > 4 ? ` (and ${tapLeaks.length - 4} more)` : ''}.`,
      why:
        tapLeaks.length === 0
          ? 'The link keys come from the enclaves’ own attested handshake, so no switch, parent or operator holds them.'
          : 'CONTROL: without link encryption, anyone on the path reads the job’s data.',
    },
    nowNs(),
  );
  return { ...judge(report, tapLeaks), digest: report.fabricDigest, virtualTimeNs: nowNs() };
}

function whoSees(frame: Frame, report: NitroClusterReport): string {
  if (/Who saw what/.test(frame.match.source)) return `The eavesdropper (network principal): ${report.seen[0]?.networkFrames ?? 0} frames filed from its tap.`;
  if (/all-reduce/i.test(frame.match.source)) {
    return report.seen.map((s) => `parent of rank ${s.rank}: ${s.parentFrames} frames (${s.parentBytes} bytes)`).join('; ');
  }
  return 'The parents relay and carry the frames; only the enclaves hold the link keys.';
}

function judge(report: NitroClusterReport, tapLeaks: readonly string[]): { outcome: GuidedRunReport['outcome']; reason: string } {
  if (tapLeaks.length > 0 || report.leaks.length > 0) {
    return { outcome: 'leaked', reason: `the eavesdropper's tap saw ${tapLeaks.length} canary sighting(s) (${report.leaks.length} across every ledger), e.g. ${tapLeaks[0] ?? report.leaks[0]}` };
  }
  if (!report.allReduce.bitExact) return { outcome: 'error', reason: `the job did not complete bit-exact: ${report.allReduce.errors.map((e) => e.code).join(', ') || 'results differ'}` };
  return { outcome: 'protected', reason: 'the job completed bit-exact and the tap holds no canary: only the public hellos and ciphertext crossed the link' };
}

export const fabricEavesdropper: GuidedDemo = {
  id: 'fabric-eavesdropper',
  title: 'An eavesdropper taps the network between two hosts while their enclaves exchange data: it sees only ciphertext',
  defence: 'linkEncryption',
  expect: { defended: 'protected', control: 'leaked' },
  seeAlso: ['nitro-emu scenario run NET-01', 'nitro-emu demo --hosts 2'],
  run,
};
