import { EmuError, isEmuError } from '../../errors.ts';
import { type P384KeyPair, concatBytes, equalBytes, hmacSha384, p384KeyPair, p384SharedSecret, wipe } from '../../crypto/index.ts';
import type { HostId } from '../contracts.ts';
import { LINK_FLAG_ENCRYPT, LINK_SUITE_NULL, LINK_SUITE_P384_AES256GCM_SHA384, LINK_VERSION_1 } from './constants.ts';
import { DEFAULT_DEFENCES, type SecureLinkDefences } from './defences.ts';
import {
  KNOWN_SUITES,
  type LinkEndpointOptions,
  type State,
  checkPeer,
  coreTranscript,
  derive,
  fullTranscript,
  ownHello,
  wipeDerived,
} from './handshake-core.ts';
import { decodeClientHello, decodeFinished, decodeServerHello, encodeClientHello, encodeFinished, encodeServerHelloCore } from './messages.ts';
import { LinkSession, checkJobId } from './session.ts';

export type { LinkEndpointOptions } from './handshake-core.ts';

// Attested link handshake (three messages, carried by the caller as bytes):
//   I → R  ClientHello  version, offered suites, flags, job, I's host/rank, R's host, random, ephemeral P-384 key, evidence
//   R → I  ServerHello  version, selected suite, flags, job, R's host/rank, I's host, random, key, evidence, MAC_R
//   I → R  Finished     MAC_I
// th = SHA-384(ClientHello ‖ ServerHello-without-MAC); finished keys and the link master come from
// HKDF-SHA384(ECDH(eI, eR), salt = th). Evidence binds each ephemeral key to an attested component, so the MACs
// prove each side holds an attested key, and a man in the middle that rewrites any hello field breaks th (NET-07).

abstract class HandshakeSide {
  protected state: State = 'start';
  protected key: P384KeyPair | undefined;
  protected readonly defences: SecureLinkDefences;

  constructor(protected readonly options: LinkEndpointOptions) {
    checkJobId(options.jobId);
    this.defences = options.defences ?? DEFAULT_DEFENCES;
  }

  protected expect(state: State, what: string): void {
    if (this.state !== state) throw new EmuError('LINK_HANDSHAKE_STATE', `${what} in state ${this.state}`, { state: this.state });
  }

  /** Runs one step; any failure leaves the side failed with its ephemeral key wiped (no session, no retry). */
  protected step<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.fail();
      if (isEmuError(error) && error.code === 'ECDH_BAD_PUBLIC_KEY') {
        throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'the peer ephemeral key is not on P-384');
      }
      throw error;
    }
  }

  protected fail(): void {
    this.state = 'failed';
    if (this.key !== undefined) wipe(this.key.privateKey);
    this.key = undefined;
  }

  get failed(): boolean {
    return this.state === 'failed';
  }
}

export class LinkHandshakeInitiator extends HandshakeSide {
  readonly #peerHost: HostId;
  #clientHello: Uint8Array | undefined;
  #offered: readonly number[] = [];

  constructor(options: LinkEndpointOptions & { readonly peerHost: HostId }) {
    super(options);
    this.#peerHost = options.peerHost;
  }

  clientHello(): Uint8Array {
    this.expect('start', 'clientHello()');
    return this.step(() => {
      this.key = p384KeyPair(this.options.random);
      const offer = this.options.offer ?? {};
      this.#offered = offer.suites ?? [LINK_SUITE_P384_AES256GCM_SHA384];
      const hello = ownHello(this.options, this.key, this.#peerHost, this.#offered, offer.version ?? LINK_VERSION_1, offer.flags ?? LINK_FLAG_ENCRYPT);
      this.#clientHello = encodeClientHello(hello);
      this.state = 'waiting';
      return this.#clientHello.slice();
    });
  }

  /** Verifies the ServerHello; returns the Finished message and the established session. */
  onServerHello(bytes: Uint8Array): { readonly finished: Uint8Array; readonly session: LinkSession } {
    this.expect('waiting', 'onServerHello()');
    return this.step(() => {
      const { hello: sh, core, mac } = decodeServerHello(bytes);
      const clientHello = this.#clientHello!;
      const ch = decodeClientHello(clientHello);
      if (sh.peerHost !== this.options.host || sh.host !== this.#peerHost) {
        throw new EmuError('LINK_HANDSHAKE_WRONG_PEER', 'the ServerHello comes from or is meant for another host', { host: sh.host });
      }
      const suite = sh.suites[0]!;
      if (this.defences.downgradeProtection) {
        if (sh.version !== LINK_VERSION_1 || !this.#offered.includes(suite) || suite === LINK_SUITE_NULL || (sh.flags & LINK_FLAG_ENCRYPT) === 0) {
          throw new EmuError('LINK_HANDSHAKE_DOWNGRADE', 'the responder selected a version, suite or flags we do not accept', {
            version: sh.version,
            suite,
            flags: sh.flags,
          });
        }
      }
      if (!KNOWN_SUITES.includes(suite)) throw new EmuError('LINK_HANDSHAKE_NO_SUITE', `unknown suite ${suite}`);
      checkPeer(this.options, this.defences, sh);
      const shared = p384SharedSecret(this.key!.privateKey, sh.ephemeralPublicKey);
      const th = coreTranscript(this.defences, clientHello, core, ch, sh);
      const derived = derive(shared, th);
      wipe(shared);
      if (!equalBytes(mac, hmacSha384(derived.responderFinished, th))) {
        wipeDerived(derived);
        throw new EmuError('LINK_HANDSHAKE_BAD_MAC', 'the ServerHello MAC does not match our transcript');
      }
      const finished = encodeFinished(hmacSha384(derived.initiatorFinished, fullTranscript(this.defences, th, clientHello, bytes)));
      const session = new LinkSession({
        master: derived.master,
        spi: derived.spi,
        jobId: this.options.jobId,
        local: { host: this.options.host, rank: this.options.rank },
        peer: { host: sh.host, rank: sh.rank },
        role: 'initiator',
        version: sh.version,
        suite,
        encrypted: suite !== LINK_SUITE_NULL && (sh.flags & LINK_FLAG_ENCRYPT) !== 0,
        defences: this.defences,
      });
      wipeDerived(derived);
      wipe(this.key!.privateKey);
      this.key = undefined;
      this.state = 'done';
      return { finished, session };
    });
  }
}

export class LinkHandshakeResponder extends HandshakeSide {
  #pending: { readonly session: LinkSession; readonly expectedMac: Uint8Array } | undefined;

  /** Verifies the ClientHello; returns the ServerHello. The session exists only once Finished verifies. */
  onClientHello(bytes: Uint8Array): Uint8Array {
    this.expect('start', 'onClientHello()');
    return this.step(() => {
      const ch = decodeClientHello(bytes);
      if (ch.peerHost !== this.options.host) {
        throw new EmuError('LINK_HANDSHAKE_WRONG_PEER', 'the ClientHello is meant for another host', { peerHost: ch.peerHost });
      }
      const offer = this.options.offer ?? {};
      const ours = offer.suites ?? [LINK_SUITE_P384_AES256GCM_SHA384];
      let suite: number;
      let version: number;
      let flags: number;
      if (this.defences.downgradeProtection) {
        if (ch.version !== LINK_VERSION_1 || (ch.flags & LINK_FLAG_ENCRYPT) === 0 || !ch.suites.includes(LINK_SUITE_P384_AES256GCM_SHA384)) {
          throw new EmuError('LINK_HANDSHAKE_DOWNGRADE', 'the ClientHello offers an old version, no encryption or no strong suite', {
            version: ch.version,
            suites: [...ch.suites],
            flags: ch.flags,
          });
        }
        if (!ours.includes(LINK_SUITE_P384_AES256GCM_SHA384)) throw new EmuError('LINK_HANDSHAKE_NO_SUITE', 'no suite in common');
        suite = LINK_SUITE_P384_AES256GCM_SHA384;
        version = LINK_VERSION_1;
        flags = LINK_FLAG_ENCRYPT;
      } else {
        // The naive responder takes the initiator's first choice as it comes (the behaviour NET-07 exploits).
        const first = ch.suites.find((s) => KNOWN_SUITES.includes(s) && ours.includes(s));
        if (first === undefined) throw new EmuError('LINK_HANDSHAKE_NO_SUITE', 'no suite in common');
        suite = first;
        version = Math.min(ch.version, offer.version ?? LINK_VERSION_1);
        flags = ch.flags & (offer.flags ?? LINK_FLAG_ENCRYPT);
      }
      checkPeer(this.options, this.defences, ch);
      this.key = p384KeyPair(this.options.random);
      const sh = ownHello(this.options, this.key, ch.host, [suite], version, flags);
      const core = encodeServerHelloCore(sh);
      const shared = p384SharedSecret(this.key.privateKey, ch.ephemeralPublicKey);
      const th = coreTranscript(this.defences, bytes, core, ch, sh);
      const derived = derive(shared, th);
      wipe(shared);
      const serverHello = concatBytes(core, hmacSha384(derived.responderFinished, th));
      const expectedMac = hmacSha384(derived.initiatorFinished, fullTranscript(this.defences, th, bytes, serverHello));
      const session = new LinkSession({
        master: derived.master,
        spi: derived.spi,
        jobId: this.options.jobId,
        local: { host: this.options.host, rank: this.options.rank },
        peer: { host: ch.host, rank: ch.rank },
        role: 'responder',
        version,
        suite,
        encrypted: suite !== LINK_SUITE_NULL && (flags & LINK_FLAG_ENCRYPT) !== 0,
        defences: this.defences,
      });
      wipeDerived(derived);
      wipe(this.key.privateKey);
      this.key = undefined;
      this.#pending = { session, expectedMac };
      this.state = 'waiting';
      return serverHello;
    });
  }

  onFinished(bytes: Uint8Array): LinkSession {
    this.expect('waiting', 'onFinished()');
    return this.step(() => {
      const pending = this.#pending!;
      const mac = decodeFinished(bytes);
      if (!equalBytes(mac, pending.expectedMac)) {
        pending.session.wipe();
        this.#pending = undefined;
        throw new EmuError('LINK_HANDSHAKE_BAD_MAC', 'the Finished MAC does not match our transcript');
      }
      this.#pending = undefined;
      this.state = 'done';
      return pending.session;
    });
  }
}
