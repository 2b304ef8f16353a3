// The parent-admin's own attestation PKI: a root it made, the Nitro-shaped chain under it, and documents that
// say whatever it likes. Nothing here uses the platform's keys; only a verifier that trusts the wrong root
// (or none) is fooled.
import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  fromHex,
  issueEnclaveLeaf,
  signAttestationDocument,
  type RandomSource,
} from '../../../crypto/index.ts';

const FORGED_INSTANCE_ID = 'i-0fa4e0000000000a1';
const FORGED_MODULE_ID = `${FORGED_INSTANCE_ID}-enc0000000000000001`;
const PCRS_FORGED = 16;

/** A COSE_Sign1 document under the attacker's own root claiming `pcr0Hex`, carrying the given key and nonce. */
export function forgeDocument(options: {
  readonly random: RandomSource;
  readonly nowMs: number;
  readonly region: string;
  readonly pcr0Hex: string;
  readonly publicKey: Uint8Array;
  readonly nonce?: Uint8Array;
}): Uint8Array {
  const { random, nowMs, region } = options;
  const root = createEmulatedNitroRoot(random);
  const chain = createNitroIntermediates({ random, root, issuedAtMs: nowMs, region, instanceId: FORGED_INSTANCE_ID });
  const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId: FORGED_MODULE_ID, region, notBeforeMs: nowMs });
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < PCRS_FORGED; i++) pcrs.set(i, new Uint8Array(48));
  pcrs.set(0, fromHex(options.pcr0Hex));
  return signAttestationDocument(
    {
      moduleId: FORGED_MODULE_ID,
      digest: 'SHA384',
      timestamp: nowMs,
      pcrs,
      certificate: leaf.der,
      cabundle: chain.cabundle,
      publicKey: options.publicKey,
      userData: null,
      nonce: options.nonce ?? null,
    },
    leaf.keyPair.privateKey,
  );
}
