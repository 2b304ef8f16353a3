// The attested mesh: every pair of ranks runs the three-message link handshake over the fabric, the lower rank
// initiating. Each side's evidence is its own NSM's document over its ephemeral key; each side judges the other's
// against the shared Nitro root, the job's PCR0 allowlist, debug mode and job membership. A pair that passes gets
// its session keys installed in both hosts' NICs; a refused pair gets none, and its code is reported.
import {
  LINK_SUITE_NULL,
  LINK_SUITE_P384_AES256GCM_SHA384,
  LinkHandshakeInitiator,
  LinkHandshakeResponder,
  type SecureLinkProtector,
} from '../efa/index.ts';
import type { NsmClient } from '../enclave/index.ts';
import { isEmuError } from '../errors.ts';
import { agentEndpoint, type JobTrust } from './agent.ts';
import type { HandshakeCarrier } from './carrier.ts';
import type { HostState } from './hosts.ts';
import type { MeshOutcome } from './types.ts';

type MeshLink = MeshOutcome['links'][number];

export function suiteName(suite: number): string {
  if (suite === LINK_SUITE_P384_AES256GCM_SHA384) return 'P384-AES256GCM-SHA384';
  if (suite === LINK_SUITE_NULL) return 'NULL';
  return `0x${suite.toString(16).padStart(4, '0')}`;
}

export interface MeshInputs {
  readonly hosts: readonly HostState[];
  readonly nsms: readonly NsmClient[];
  readonly protectors: ReadonlyMap<number, SecureLinkProtector>;
  readonly carrier: HandshakeCarrier;
  readonly trust: JobTrust;
}

function handshakePair(input: MeshInputs, pair: number, a: HostState, b: HostState): MeshLink {
  const { carrier, trust } = input;
  const protectorA = input.protectors.get(a.host)!;
  const protectorB = input.protectors.get(b.host)!;
  try {
    const initiator = new LinkHandshakeInitiator({ ...agentEndpoint(a, input.nsms[a.rank]!, trust), peerHost: b.host });
    const responder = new LinkHandshakeResponder(agentEndpoint(b, input.nsms[b.rank]!, trust));
    const serverHello = responder.onClientHello(carrier.carry(pair, 'clientHello', a.rank, b.rank, initiator.clientHello()));
    const { finished, session } = initiator.onServerHello(carrier.carry(pair, 'serverHello', b.rank, a.rank, serverHello));
    const peerSession = responder.onFinished(carrier.carry(pair, 'finished', a.rank, b.rank, finished));
    protectorA.addSession(session);
    protectorB.addSession(peerSession);
    return { a: a.rank, b: b.rank, ok: true, suite: suiteName(session.suite), encrypted: session.encrypted && trust.defences.encrypt };
  } catch (error) {
    if (!isEmuError(error)) throw error;
    // A refused pair keeps no keys from any earlier mesh either: no traffic may flow on a link that failed to attest.
    protectorA.removeSession(b.host);
    protectorB.removeSession(a.host);
    return { a: a.rank, b: b.rank, ok: false, code: error.code };
  }
}

export function formAttestedMesh(input: MeshInputs): MeshOutcome {
  const links: MeshLink[] = [];
  const { hosts } = input;
  let pair = 0;
  for (let i = 0; i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      const link = handshakePair(input, pair++, hosts[i]!, hosts[j]!);
      links.push(link);
      for (const h of [hosts[i]!, hosts[j]!]) {
        h.world.sim.record('cluster.link', { a: link.a, b: link.b, ok: link.ok, ...(link.code === undefined ? {} : { code: link.code }) });
      }
    }
  }
  return { ok: links.every((l) => l.ok), links };
}
