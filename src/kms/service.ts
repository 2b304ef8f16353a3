import { assert, AssertionFailure } from '../errors.ts';
import { AuditLog, type Simulator } from '../sim/index.ts';
import type { OperationContext } from './context.ts';
import { KmsError } from './errors.ts';
import { GrantStore } from './grants.ts';
import { handleJsonRequest, operationFromTarget, TARGET_PREFIX, type JsonReply } from './json-protocol.ts';
import { KeyStore } from './keys.ts';
import * as admin from './ops-admin.ts';
import * as agreement from './ops-agreement.ts';
import * as cryptoOps from './ops-crypto.ts';
import * as grantOps from './ops-grants.ts';
import { cancelKeyDeletion, scheduleKeyDeletion } from './ops-deletion.ts';
import { generateRandom } from './ops-random.ts';
import { callerIdentity } from './principal.ts';
import { RecipientGate } from './recipient.ts';
import { normalizeRequest } from './schema.ts';
import { exportSnapshot, restoreSnapshot, type KmsStateSnapshot } from './state.ts';
import {
  ALL_KMS_DEFENCES,
  type KeyRelease,
  type KmsCaller,
  type KmsDefences,
  type KmsOperation,
  type KmsOptions,
  type KmsRequest,
  type KmsResponse,
} from './types.ts';
import type { Fields } from './validate.ts';

export const DEFAULT_MAX_DOCUMENT_AGE_MS = 5 * 60_000;
/** Clock skew tolerated for documents dated after KMS's now. */
export const DOCUMENT_FUTURE_SKEW_MS = 60_000;
const RELEASES_MAX = 1_000_000;

type Handler<Op extends KmsOperation> = (ctx: OperationContext, fields: Fields) => KmsResponse<Op>;

const HANDLERS: { readonly [Op in KmsOperation]: Handler<Op> } = {
  CreateKey: admin.createKey,
  DescribeKey: admin.describeKey,
  ListKeys: admin.listKeys,
  CreateAlias: admin.createAlias,
  ListAliases: admin.listAliases,
  PutKeyPolicy: admin.putKeyPolicy,
  GetKeyPolicy: admin.getKeyPolicy,
  EnableKey: admin.enableKey,
  DisableKey: admin.disableKey,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CancelKeyDeletion: cancelKeyDeletion,
  Encrypt: cryptoOps.encrypt,
  Decrypt: cryptoOps.decrypt,
  GenerateDataKey: cryptoOps.generateDataKey,
  GenerateDataKeyWithoutPlaintext: cryptoOps.generateDataKeyWithoutPlaintext,
  GenerateDataKeyPair: cryptoOps.generateDataKeyPairOp,
  GenerateRandom: generateRandom,
  CreateGrant: grantOps.createGrant,
  ListGrants: grantOps.listGrants,
  RetireGrant: grantOps.retireGrant,
  RevokeGrant: grantOps.revokeGrant,
  GetPublicKey: agreement.getPublicKey,
  DeriveSharedSecret: agreement.deriveSharedSecret,
  ReEncrypt: agreement.reEncrypt,
};

/** Only the KMS's own switches, whatever else the caller's object carries (a world passes all of its defences). */
function kmsDefences(given: Partial<KmsDefences> | undefined): KmsDefences {
  const out: Record<string, boolean> = {};
  for (const name of Object.keys(ALL_KMS_DEFENCES) as (keyof KmsDefences)[]) {
    const value = given?.[name];
    assert(value === undefined || typeof value === 'boolean', `defence ${name} must be a boolean`);
    out[name] = value ?? ALL_KMS_DEFENCES[name];
  }
  return Object.freeze(out as unknown as KmsDefences);
}

/**
 * An in-process AWS KMS that releases key material to an enclave only after verifying its attestation document
 * and evaluating the key policy (INV-KEYS-ATTESTED). Every call is audited before it takes effect and again with
 * its outcome (INV-AUDIT); a failed call changes no keys, policies, aliases or nonces (INV-FAIL-CLOSED).
 */
export class KmsService {
  readonly audit: AuditLog;
  readonly region: string;
  readonly accountId: string;
  readonly maxDocumentAgeMs: number;
  /** The switches in force (all on unless the options turned some off). */
  readonly defences: KmsDefences;
  readonly #sim: Simulator;
  readonly #keys: KeyStore;
  readonly #grants: GrantStore;
  readonly #recipients: RecipientGate;
  readonly #releases: KeyRelease[] = [];
  readonly #random: OperationContext['random'];

  constructor(options: KmsOptions) {
    const { sim } = options;
    this.#sim = sim;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '111122223333';
    this.maxDocumentAgeMs = options.maxDocumentAgeMs ?? DEFAULT_MAX_DOCUMENT_AGE_MS;
    assert(/^[a-z]{2}(-[a-z]+)+-\d$/.test(this.region), `bad region ${this.region}`);
    assert(/^\d{12}$/.test(this.accountId), `bad account id ${this.accountId}`);
    assert(Number.isSafeInteger(this.maxDocumentAgeMs) && this.maxDocumentAgeMs > 0, 'maxDocumentAgeMs must be positive');
    this.audit = options.audit ?? new AuditLog('kms', () => sim.nowMs);
    this.defences = kmsDefences(options.defences);
    this.#grants = new GrantStore(options.grantsMax ?? 10_000, sim.prng('kms.grants'));
    this.#keys = new KeyStore({
      region: this.region,
      accountId: this.accountId,
      keysMax: options.keysMax ?? 10_000,
      aliasesMax: 10_000,
      idRandom: sim.prng('kms.key-ids'),
      materialRandom: sim.prng('kms.key-material'),
      ivRandom: sim.prng('kms.iv'),
    });
    this.#recipients = new RecipientGate({
      rootDer: options.attestationRootDer,
      maxDocumentAgeMs: this.maxDocumentAgeMs,
      futureSkewMs: DOCUMENT_FUTURE_SKEW_MS,
      noncesMax: options.noncesMax ?? 100_000,
      defences: this.defences,
      ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
    });
    this.#random = {
      dataKeys: sim.prng('kms.data-keys'),
      keyPairs: sim.prng('kms.key-pairs'),
      envelopes: sim.prng('kms.envelopes'),
      generated: sim.prng('kms.random'),
    };
  }

  /** Every successful hand-out of key material, oldest first (a copy; entries are frozen). */
  get releases(): readonly KeyRelease[] {
    return [...this.#releases];
  }

  /** How many attestation nonces are currently remembered as spent. */
  get rememberedNonces(): number {
    return this.#recipients.rememberedNonces;
  }

  /** A digest of keys, metadata, policies, aliases, material digests and grants, for before/after comparisons. */
  stateDigest(): string {
    return this.#grants.size === 0 ? this.#keys.digest() : `${this.#keys.digest()}:${this.#grants.digest()}`;
  }

  /** Changes whenever keys, aliases, policies, grants or spent nonces change (a served KMS persists then). */
  get stateVersion(): number {
    return this.#keys.version + this.#grants.version + this.#recipients.nonces.version;
  }

  /** Keys (with material), aliases, grants and live spent nonces, for the served KMS's state file (state.ts). */
  exportState(): KmsStateSnapshot {
    return exportSnapshot(this.#keys, this.#grants, this.#recipients.nonces, this.#sim.nowMs);
  }

  /**
   * Loads a snapshot into this service, which must be empty. The snapshot is validated whole first; a bad one is a
   * KMS_STATE_INVALID error and leaves the service empty.
   */
  restoreState(snapshot: unknown): void {
    if (this.#keys.size !== 0 || this.#grants.size !== 0 || this.#recipients.rememberedNonces !== 0) {
      throw new KmsError('KMS_STATE_NOT_EMPTY', 'KMSInternalException', 'State can only be restored into an empty KMS.');
    }
    restoreSnapshot(snapshot, this.#keys, this.#grants, this.#recipients.nonces, this.accountId);
    this.audit.append('kms', 'kms:RestoreState', 'ok', { keys: this.#keys.size, grants: this.#grants.size });
  }

  /** Deletes keys whose waiting period is over (with their aliases and grants), audited before it happens. */
  #purgeDueKeys(): void {
    if (this.#keys.pendingDeletionCount === 0) return;
    const nowMs = this.#sim.nowMs;
    for (const key of this.#keys.list()) {
      if (key.deletionMs === null || key.deletionMs > nowMs) continue;
      this.audit.append('kms', 'kms:DeleteKey', 'attempt', { keyId: key.id });
      this.#grants.removeForKey(key.id);
      this.#keys.purge(key.id);
      this.audit.append('kms', 'kms:DeleteKey', 'ok', { keyId: key.id });
      this.#sim.record('kms.key-deleted', { keyId: key.id });
    }
  }

  /** How many grants exist (all keys). */
  get grantCount(): number {
    return this.#grants.size;
  }

  /** In-process call with AWS field names; blobs are Uint8Array. Throws KmsError. */
  call<Op extends KmsOperation>(operation: Op, request: KmsRequest<Op>, caller: KmsCaller): KmsResponse<Op> {
    const target = typeof operation === 'string' ? `${TARGET_PREFIX}${operation}` : '';
    return this.#run(target, caller, (op) => normalizeRequest(op, request, 'native')) as KmsResponse<Op>;
  }

  /** AWS JSON 1.1 front; never throws for bad input (see json-protocol.ts). */
  handleJson(target: string, body: string, caller: KmsCaller): JsonReply {
    return handleJsonRequest((name, decode) => this.#run(name, caller, decode), target, body);
  }

  #run(target: string, caller: KmsCaller, decode: (op: KmsOperation) => Record<string, unknown>): unknown {
    const actor = typeof caller?.arn === 'string' && caller.arn.length > 0 ? caller.arn.slice(0, 256) : '(anonymous)';
    let action = 'kms:UnknownOperation';
    let operation: KmsOperation | undefined;
    let keyId: string | null = null;
    let grantId: string | undefined;
    let attempted = false;
    this.#purgeDueKeys();
    try {
      operation = operationFromTarget(target);
      action = `kms:${operation}`;
      const fields = decode(operation);
      this.audit.append(actor, action, 'attempt', attemptDetails(fields));
      attempted = true;
      const ctx = this.#context(
        callerIdentity(caller?.arn),
        (id) => (keyId = id),
        {
          set: (id) => (grantId = id),
          get: () => grantId,
        },
      );
      const response = (HANDLERS[operation] as Handler<KmsOperation>)(ctx, fields);
      this.audit.append(actor, action, 'ok', grantId === undefined ? { keyId } : { keyId, grantId });
      this.#sim.record('kms.call', { operation, caller: actor, keyId, outcome: 'ok', code: null });
      return response;
    } catch (error) {
      if (!attempted) this.audit.append(actor, action, 'attempt', {});
      const kmsError = error instanceof KmsError ? error : undefined;
      const outcome = kmsError?.outcome ?? 'error';
      const code = kmsError?.code ?? (error instanceof AssertionFailure ? 'KMS_ASSERTION' : 'KMS_INTERNAL');
      const cause = kmsError?.details?.['cause'];
      this.audit.append(actor, action, outcome, {
        keyId,
        code,
        awsType: kmsError?.awsType ?? 'KMSInternalException',
        ...(typeof cause === 'string' ? { cause } : {}),
      });
      this.#sim.record('kms.call', { operation: operation ?? null, caller: actor, keyId, outcome, code });
      throw error;
    }
  }

  #context(
    caller: OperationContext['caller'],
    target: (keyId: string) => void,
    grant: { set(id: string): void; get(): string | undefined },
  ): OperationContext {
    return {
      sim: this.#sim,
      keys: this.#keys,
      recipients: this.#recipients,
      grants: this.#grants,
      defences: this.defences,
      accountId: this.accountId,
      caller,
      random: this.#random,
      target,
      authorizedByGrant: (id) => grant.set(id),
      grantId: () => grant.get(),
      recordRelease: (release) => {
        assert(this.#releases.length < RELEASES_MAX, 'release record is full');
        this.#releases.push(Object.freeze({ ...release, caller: caller.arn, timeMs: this.#sim.nowMs }));
      },
    };
  }
}

/** What the attempt entry may say: which key was named and whether attestation was offered. Never a blob. */
function attemptDetails(fields: Fields): Record<string, string | boolean | null> {
  const named = fields['KeyId'] ?? fields['TargetKeyId'] ?? fields['SourceKeyId'];
  return {
    keyId: typeof named === 'string' ? named.slice(0, 256) : null,
    recipient: fields['Recipient'] !== undefined,
  };
}
