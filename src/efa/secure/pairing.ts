import type { HostId } from '../contracts.ts';
import { type LinkEndpointOptions, LinkHandshakeInitiator, LinkHandshakeResponder } from './handshake.ts';
import { type SecureLinkProtectorOptions, SecureLinkProtector } from './protector.ts';
import { type LinkSession, linkSessionFromDomainSecret } from './session.ts';
import type { SecureLinkDefences } from './defences.ts';

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
