/**
 * The deliberate bugs `npm run mutants` plants, one at a time. Each is an exact text replacement that must apply
 * exactly once to the current source (test/mutants/list.test.ts keeps the list from rotting), and names the test
 * files that must fail while it is in place. Keep each one a bug a person could plausibly write.
 */
export interface Mutant {
  /** Stable name, used by --only and printed in `survived`. */
  readonly id: string;
  /** The security property the bug breaks. */
  readonly breaks: string;
  /** Repository-relative path of the one file changed. */
  readonly file: string;
  /** Exact text to find (must occur exactly once). */
  readonly find: string;
  readonly replace: string;
  /** Repository-relative test files run against the mutant; at least one must fail. */
  readonly tests: readonly string[];
}

export const MUTANTS: readonly Mutant[] = [
  {
    id: 'attestation-signature-skipped',
    breaks: 'the attestation document COSE_Sign1 signature is checked against the leaf key',
    file: 'src/crypto/attestation-doc.ts',
    find: 'if (!verifyCoseSign1Es384(cose, leaf.p384PublicKey)) {',
    replace: 'if (!verifyCoseSign1Es384(cose, leaf.p384PublicKey) && cose.signature.length === 0) {',
    tests: ['test/crypto/attestation-doc.test.ts', 'test/kms/recipient.test.ts'],
  },
  {
    id: 'certificate-expiry-ignored',
    breaks: 'a certificate past notAfter is refused (CHAIN_EXPIRED)',
    file: 'src/crypto/x509-chain.ts',
    find: 'if (atMs > cert.notAfterMs) chainError(',
    replace: 'if (cert.notBeforeMs > cert.notAfterMs) chainError(',
    tests: ['test/crypto/x509-chain.test.ts', 'test/crypto/attestation-doc.test.ts'],
  },
  {
    id: 'chain-issuer-name-unchecked',
    breaks: "each certificate's issuer name equals the next certificate's subject",
    file: 'src/crypto/x509-chain.ts',
    find: 'if (!equalBytes(certificateDetails(child).issuerDer, certificateDetails(issuer).subjectDer)) {',
    replace: 'if (certificateDetails(child).issuerDer.length === 0) {',
    tests: ['test/crypto/x509-chain.test.ts', 'test/crypto/attestation-doc.test.ts'],
  },
  {
    id: 'chain-leaf-signature-unchecked',
    breaks: "every link's signature, the leaf's included, verifies with its issuer's key",
    file: 'src/crypto/x509-chain.ts',
    find: 'for (let i = chain.length - 1; i >= 0; i--) {',
    replace: 'for (let i = chain.length - 1; i >= 1; i--) {',
    tests: ['test/crypto/x509-chain.test.ts', 'test/crypto/attestation-doc.test.ts'],
  },
  {
    id: 'policy-condition-ignored',
    breaks: 'a key policy statement applies only when all its conditions hold',
    file: 'src/kms/policy-eval.ts',
    find: 'statement.conditions.every((condition) => conditionHolds(condition, request.conditionKeys))',
    replace: 'statement.conditions.every((condition) => condition.key.length > 0)',
    tests: ['test/kms/policy.test.ts', 'test/kms/recipient.test.ts'],
  },
  {
    id: 'bounce-buffer-iv-reused',
    breaks: 'the bounce-buffer AES-GCM IV counter advances after every buffer (no (key, IV) reuse)',
    file: 'src/accelerator/lockstep.ts',
    find: '  private advance(bytes: number): void {\n    this.counter++;\n',
    replace: '  private advance(bytes: number): void {\n',
    tests: ['test/accelerator/lockstep.test.ts', 'test/accelerator/driver-confidential.test.ts'],
  },
  {
    id: 'link-nonce-reused',
    breaks: 'the fabric link transmission counter (AES-GCM nonce) advances after every sealed packet',
    file: 'src/efa/secure/protector.ts',
    find: '    tx.counter += 1;\n',
    replace: '',
    tests: ['test/efa/secure-protector.test.ts'],
  },
  {
    id: 'copy-engine-writes-before-tag',
    breaks: "the device copy engine writes decrypted bytes only after the buffer's tag verified",
    file: 'src/accelerator/copy-engine.ts',
    find: 'if (!ctx.defences.tagCheckBeforeWrite) ctx.memory.write(',
    replace: 'if (ctx.defences.tagCheckBeforeWrite !== undefined) ctx.memory.write(',
    tests: ['test/accelerator/device.test.ts', 'test/accelerator/driver-confidential.test.ts'],
  },
  {
    id: 'enclave-release-unscrubbed',
    breaks: "a terminated enclave's pages are scrubbed before the parent gets them back",
    file: 'src/hypervisor/host.ts',
    find: '    if (this.defences.scrubOnRelease) this.memory.scrub(record.frames);\n',
    replace: '',
    tests: ['test/hypervisor/host.test.ts'],
  },
  {
    id: 'device-reset-unscrubbed',
    breaks: "a device reset scrubs (and verifies) the device's protected memory",
    file: 'src/accelerator/device.ts',
    find: 'const scrub = this.defences.scrubOnReset ? this.#memory.scrubVerified() : { scrubbedPages: 0, verified: false };',
    replace: 'const scrub = { scrubbedPages: 0, verified: this.defences.scrubOnReset };',
    tests: ['test/accelerator/device.test.ts', 'test/hypervisor/device-release.test.ts'],
  },
  {
    id: 'kms-nonce-replay-accepted',
    breaks: 'KMS refuses an attestation document whose nonce was already spent (KMS_REPLAYED)',
    file: 'src/kms/nonce-cache.ts',
    find: 'if (expiresMs !== undefined && expiresMs >= nowMs) {',
    replace: 'if (expiresMs !== undefined && expiresMs < nowMs) {',
    tests: ['test/kms/recipient.test.ts', 'test/kms/defences.test.ts'],
  },
  {
    id: 'kms-debug-document-accepted',
    breaks: 'a debug-mode enclave attests all-zero PCR0/1/2/8, so KMS never matches it to an image policy',
    file: 'src/hypervisor/host-measure.ts',
    find: '  if (!debugMode) {\n',
    replace: '  if (!debugMode || image.measurements.pcr0.length > 0) {\n',
    tests: ['test/hypervisor/host.test.ts', 'test/world/flow.test.ts'],
  },
  {
    id: 'link-pcr0-allowlist-skipped',
    breaks: "the link handshake admits only a peer whose PCR0 is in the job's allowlist",
    file: 'src/efa/secure/evidence.ts',
    find: 'if (pcr0 === undefined || !allowed.some((value) => equalBytes(value, pcr0))) {',
    replace: 'if (pcr0 === undefined) {',
    tests: ['test/efa/secure-handshake.test.ts'],
  },
  {
    id: 'spdm-signature-skipped',
    breaks: "the driver accepts an SPDM measurement report only if the alias key's signature verifies",
    file: 'src/crypto/spdm.ts',
    find: 'if (!p384Verify(transcript.response.signature, transcript.signedBytes, leafP384PublicKey)) {',
    replace: 'if (transcript.response.signature.length === 0) {',
    tests: ['test/crypto/spdm.test.ts', 'test/hypervisor/device-spdm.test.ts'],
  },
  {
    id: 'link-anti-replay-skipped',
    breaks: 'the fabric link drops a packet whose counter was already accepted (anti-replay window)',
    file: 'src/efa/secure/protector.ts',
    find: "if (verdict !== 'fresh') return this.#reject(verdict);",
    replace: "if (verdict === 'tooOld') return this.#reject(verdict);",
    tests: ['test/efa/secure-protector.test.ts'],
  },
  {
    id: 'kms-nonce-expiry-off-by-one',
    breaks: 'a spent nonce stays spent up to and including its expiry, the last instant its document is still fresh',
    file: 'src/kms/nonce-cache.ts',
    find: 'if (expiresMs !== undefined && expiresMs >= nowMs) {',
    replace: 'if (expiresMs !== undefined && expiresMs > nowMs) {',
    tests: ['test/kms/recipient.test.ts', 'test/kms/defences.test.ts', 'test/kms/mutant-nonce-expiry.test.ts'],
  },
  {
    id: 'chain-validity-leaf-only',
    breaks: 'every certificate of the chain, intermediates and root included, is within its validity at atMs',
    file: 'src/crypto/x509-chain.ts',
    find: '    checkValidity(cert, atMs);\n',
    replace: '    if (cert === path[0]) checkValidity(cert, atMs);\n',
    tests: ['test/crypto/x509-chain.test.ts', 'test/crypto/attestation-doc.test.ts'],
  },
  {
    id: 'revocation-leaf-only',
    breaks: 'a revoked intermediate or root certificate also refuses the document (CHAIN_REVOKED)',
    file: 'src/crypto/attestation-doc.ts',
    find: 'checkNotRevoked([leaf, ...intermediates, this.root], { isRevoked })',
    replace: 'checkNotRevoked([leaf], { isRevoked })',
    tests: ['test/crypto/revocation.test.ts', 'test/crypto/attestation-doc.test.ts', 'test/kms/world-revocation.test.ts'],
  },
  {
    id: 'policy-deny-loses-to-earlier-allow',
    breaks: 'an explicit Deny wins over any Allow, whatever the statement order',
    file: 'src/kms/policy-eval.ts',
    find: "if (statement.effect === 'Deny') return",
    replace: "if (statement.effect === 'Deny' && !allowed) return",
    tests: ['test/kms/policy.test.ts'],
  },
  {
    id: 'policy-any-account-root',
    breaks: "a policy naming an account root admits only that account's principals",
    file: 'src/kms/policy-eval.ts',
    find: 'arn === caller.principalArn || arn === root);',
    replace: "arn === caller.principalArn || arn.endsWith(':root'));",
    tests: ['test/kms/policy.test.ts'],
  },
  {
    id: 'policy-absent-key-matches',
    breaks: 'a positive condition on a key the request does not carry is false (no attestation, no PCR match)',
    file: 'src/kms/policy-eval.ts',
    find: 'if (value === undefined) return condition.ifExists || negated;',
    replace: 'if (value === undefined) return condition.ifExists || !negated;',
    tests: ['test/kms/policy.test.ts', 'test/kms/recipient.test.ts'],
  },
  {
    id: 'link-counter-wraps',
    breaks: 'the link refuses to seal once the transmission counter is exhausted instead of wrapping (nonce reuse)',
    file: 'src/efa/secure/protector.ts',
    find: 'if (tx.counter >= this.#counterLimit) {',
    replace: 'if (tx.counter > this.#counterLimit) {',
    tests: ['test/efa/secure-protector.test.ts'],
  },
  {
    id: 'link-handshake-key-unbound',
    breaks: "the peer's attestation document must carry the handshake's ephemeral key",
    file: 'src/efa/secure/evidence.ts',
    find: 'if (publicKey === null || !equalBytes(publicKey, p384Spki(ephemeralPublicKey))) {',
    replace: 'if (publicKey === null) {',
    tests: ['test/efa/secure-handshake.test.ts'],
  },
  {
    id: 'link-handshake-identity-unbound',
    breaks: "the peer's attestation document user data binds it to this job, rank and host",
    file: 'src/efa/secure/evidence.ts',
    find: 'if (userData === null || !equalBytes(userData, identityUserData(claim))) {',
    replace: 'if (userData === null) {',
    tests: ['test/efa/secure-handshake.test.ts'],
  },
  {
    id: 'iommu-guards-enclaves-only',
    breaks: "a device's DMA stays inside its own instance's pages (not just out of enclave pages)",
    file: 'src/hypervisor/device-iommu.ts',
    find: 'if (context.enforce && frameOwner !== owner) fault(',
    replace: "if (context.enforce && frameOwner.startsWith('enclave:')) fault(",
    tests: ['test/hypervisor/device-iommu.test.ts'],
  },
  {
    id: 'spdm-nonce-unchecked',
    breaks: 'the driver refuses a replayed SPDM measurement report (its request nonce is not the fresh one)',
    file: 'src/crypto/spdm.ts',
    find: 'if (options.expectedNonce !== undefined && !equalBytes(options.expectedNonce, transcript.request.nonce)) {',
    replace: 'if (options.expectedNonce !== undefined && options.expectedNonce.length !== transcript.request.nonce.length) {',
    tests: ['test/crypto/spdm.test.ts', 'test/accelerator/driver-rejections.test.ts'],
  },
  {
    id: 'eif-signature-payload-unchecked',
    breaks: "an EIF signature counts only if its payload is PcrInfo{0, this image's PCR0}",
    file: 'src/enclave/eif-signature.ts',
    find: 'if (!equalBytes(cose.payload, encodePcrInfo(0, pcr0))) {',
    replace: 'if (cose.payload.length === 0) {',
    tests: ['test/enclave/signature.test.ts'],
  },
  {
    id: 'chain-issuer-ca-flag-unchecked',
    breaks: 'only a CA certificate (basicConstraints cA) may issue another certificate',
    file: 'src/crypto/x509-chain.ts',
    find: "if (!cert.isCa) chainError('CHAIN_NOT_CA',",
    replace: "if (cert.isCa === undefined) chainError('CHAIN_NOT_CA',",
    tests: ['test/crypto/x509-chain.test.ts'],
  },
  {
    id: 'chain-pathlen-off-by-one',
    breaks: 'a CA with pathLenConstraint n has at most n CAs below it',
    file: 'src/crypto/x509-chain.ts',
    find: 'caCertsBelow > cert.pathLength) {',
    replace: 'caCertsBelow > cert.pathLength + 1) {',
    tests: ['test/crypto/x509-chain.test.ts'],
  },
  {
    id: 'chain-leaf-ca-accepted',
    breaks: 'the end-entity certificate of a chain must not be a CA',
    file: 'src/crypto/x509-chain.ts',
    find: "if (cert.isCa) chainError('CHAIN_KEY_USAGE', 'the end-entity certificate must not be a CA', cert);",
    replace: "if (cert.isCa && cert.pathLength !== undefined) chainError('CHAIN_KEY_USAGE', 'the end-entity certificate must not be a CA', cert);",
    tests: ['test/crypto/x509-chain.test.ts'],
  },
  {
    id: 'chain-critical-extension-ignored',
    breaks: 'a certificate with a critical extension the verifier does not understand is refused',
    file: 'src/crypto/x509-chain.ts',
    find: 'if (unknown.length > 0) chainError(',
    replace: 'if (unknown.length > 1) chainError(',
    tests: ['test/crypto/x509-chain.test.ts', 'test/crypto/x509.test.ts'],
  },
  {
    id: 'nsm-platform-pcr-extendable',
    breaks: 'the platform PCRs 0..15 are locked: the enclave cannot extend its own measurements',
    file: 'src/enclave/nsm.ts',
    find: "if (this.#locked[i] && this.#lockEnforced) throw new NsmFailure('ReadOnlyIndex', `PCR ${i} is locked`);",
    replace: "if (this.#locked[i] && this.#lockEnforced && i >= NSM_PLATFORM_PCR_COUNT) throw new NsmFailure('ReadOnlyIndex', `PCR ${i} is locked`);",
    tests: ['test/enclave/nsm.test.ts'],
  },
  {
    id: 'kms-nonce-prune-off-by-one',
    breaks: 'a full nonce cache forgets only nonces past their expiry, never one whose document is still fresh',
    file: 'src/kms/nonce-cache.ts',
    find: 'if (expiresMs < nowMs) this.#expiresMsByNonce.delete(nonce);',
    replace: 'if (expiresMs <= nowMs) this.#expiresMsByNonce.delete(nonce);',
    tests: ['test/kms/recipient.test.ts', 'test/kms/mutant-nonce-expiry.test.ts'],
  },
  {
    id: 'kms-nonce-snapshot-off-by-one',
    breaks: 'the state snapshot keeps every nonce still spent at that instant, so a restart reopens no replay',
    file: 'src/kms/nonce-cache.ts',
    find: '.filter(([, expiresMs]) => expiresMs >= nowMs);',
    replace: '.filter(([, expiresMs]) => expiresMs > nowMs);',
    tests: ['test/kms/recipient.test.ts', 'test/kms-server/state.test.ts', 'test/kms/mutant-nonce-expiry.test.ts'],
  },
  {
    id: 'kms-grant-constraints-ignored',
    breaks: "a grant admits an operation only with an encryption context that meets the grant's constraints",
    file: 'src/kms/grants.ts',
    find: '      if (!constraintsHold(grant.constraints, context)) continue;\n',
    replace: '',
    tests: ['test/kms/grants.test.ts'],
  },
  {
    id: 'kms-grant-equals-as-subset',
    breaks: 'EncryptionContextEquals admits exactly that context, not a part of it',
    file: 'src/kms/grants.ts',
    find: '    if (keys.length !== Object.keys(equals).length) return false;\n',
    replace: '',
    tests: ['test/kms/grants.test.ts', 'test/kms/mutant-grant-equals.test.ts'],
  },
];

/** Applies `mutant` to `source`; throws unless its text occurs exactly once (a stale mutant is an error, not a pass). */
export function applyMutant(mutant: Mutant, source: string): string {
  const first = source.indexOf(mutant.find);
  if (first < 0) throw new Error(`mutant ${mutant.id}: its text no longer occurs in ${mutant.file}`);
  if (source.indexOf(mutant.find, first + 1) >= 0) throw new Error(`mutant ${mutant.id}: its text occurs more than once in ${mutant.file}`);
  return source.slice(0, first) + mutant.replace + source.slice(first + mutant.find.length);
}
