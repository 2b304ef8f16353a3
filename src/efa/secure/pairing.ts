import { assert } from '../../errors.ts';
import type { HostId } from '../contracts.ts';
import { type LinkEndpointOptions, LinkHandshakeInitiator, LinkHandshakeResponder } from './handshake.ts';
import { type SecureLinkProtectorOptions, SecureLinkProtector } from './protector.ts';
import { type LinkSession, linkSessionFromDomainSecret } from './session.ts';
import type { SecureLinkDefences } from './defences.ts';

/** Handshakes grow with n²/2; a world with more hosts should key from a domain secret or by need. */
const MESH_MEMBERS_MAX = 64;

/**
 * Runs the three handshake messages between two endpoints in memory (tests, worlds that carry the messages out of
 * band). `relay` sees and may rewrite every message: the man in the middle of NET-07 plugs in here.
 */
export function runLinkHandshake(
  initiator: LinkEndpointOptions & { readonly peerHost: HostId },
  responder: LinkEndpointOptions,
  relay: (message: Uint8Array, step: 'clientHello' | 'serverHello' | 'finished') => Uint8Array = (m) => m,
): { readonly initiator: LinkSession; readonly responder: LinkSession } {
  const i = new LinkHandshakeInitiator(initiator);
  const r = new LinkHandshakeResponder(responder);
  const serverHello = r.onClientHello(relay(i.clientHello(), 'clientHello'));
  const { finished, session } = i.onServerHello(relay(serverHello, 'serverHello'));
  return { initiator: session, responder: r.onFinished(relay(finished, 'finished')) };
}

/**
 * Attested full mesh for one job: every pair of members runs the handshake (the lower rank initiates) and each host
 * gets a protector holding its sessions. Any refusal (debug peer, unknown image, wrong job…) throws its
 * LINK_HANDSHAKE_* error and no protector is returned: a job does not start with a hole in its mesh.
 */
export function createAttestedMesh(
  members: readonly LinkEndpointOptions[],
  options: Omit<SecureLinkProtectorOptions, 'host' | 'sessions' | 'resolveSession'> = {},
): Map<HostId, SecureLinkProtector> {
  assert(members.length <= MESH_MEMBERS_MAX, `a mesh of more than ${MESH_MEMBERS_MAX} members`);
  assert(new Set(members.map((m) => m.host)).size === members.length, 'mesh members must be on distinct hosts');
  const sorted = [...members].sort((x, y) => x.rank - y.rank);
  const sessions = new Map<HostId, LinkSession[]>(sorted.map((m) => [m.host, []]));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const initiator = sorted[i]!;
      const responder = sorted[j]!;
      const pair = runLinkHandshake({ ...initiator, peerHost: responder.host }, responder);
      sessions.get(initiator.host)!.push(pair.initiator);
      sessions.get(responder.host)!.push(pair.responder);
    }
  }
  const out = new Map<HostId, SecureLinkProtector>();
  for (const m of sorted) {
    const defences = m.defences ?? options.defences;
    out.set(m.host, new SecureLinkProtector({ ...options, ...(defences === undefined ? {} : { defences }), host: m.host, sessions: sessions.get(m.host)! }));
  }
  return out;
}

/**
 * One protector per host, every pair keyed from one domain secret (PSP-style, no handshake): for experiments
 * with many hosts. Sessions are derived on first use. Security tests use attested handshakes instead.
 */
export function createDomainProtectors(init: {
  readonly hosts: readonly HostId[];
  readonly jobId: string;
  readonly domainSecret: Uint8Array;
  readonly defences?: SecureLinkDefences;
  readonly options?: Omit<SecureLinkProtectorOptions, 'host' | 'sessions' | 'resolveSession' | 'defences'>;
}): Map<HostId, SecureLinkProtector> {
  const members = new Set(init.hosts);
  const out = new Map<HostId, SecureLinkProtector>();
  for (const host of init.hosts) {
    out.set(
      host,
      new SecureLinkProtector({
        ...init.options,
        host,
        ...(init.defences === undefined ? {} : { defences: init.defences }),
        resolveSession: (peer) =>
          members.has(peer)
            ? linkSessionFromDomainSecret({
                domainSecret: init.domainSecret,
                jobId: init.jobId,
                local: { host, rank: host },
                peer: { host: peer, rank: peer },
                ...(init.defences === undefined ? {} : { defences: init.defences }),
              })
            : undefined,
      }),
    );
  }
  return out;
}
