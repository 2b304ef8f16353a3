// The lessons told from catalogue scenarios: a modified image (PA-06), a replayed attestation document (PA-03) and a
// tampered bounce buffer (DEV-07). Each sentence that states a fact of the run takes it from the run's record.
import { lessonDemo, type LessonRun, type StepText } from './scenario-lesson.ts';

const OWNER_SETS_UP: StepText = {
  title: 'The owner deploys the model; the approved enclave starts',
  what: 'The model owner creates a KMS key whose policy releases it only to the approved enclave image (pinned by its measurement, PCR0), encrypts the weights under a data key, and leaves the ciphertext on the parent’s disk. The parent starts the enclave.',
  who: 'The parent (the customer’s VM, whose admin is the attacker here) holds the encrypted model and relays every message the enclave sends out; it cannot read the enclave’s memory.',
  why: 'The enclave’s memory is no longer mapped for the parent, and the data key only ever leaves KMS encrypted to an attested enclave.',
};

function notesSay(run: LessonRun): string {
  return `In this run: ${run.notes}.`;
}

export const modifiedImageDenied = lessonDemo({
  id: 'modified-image-denied',
  title: 'The parent rebuilds the enclave image with a backdoor and launches it: KMS refuses the key',
  scenarioId: 'PA-06',
  defence: 'attestedKeyPolicy',
  blockedAs: 'denied',
  seeAlso: ['nitro-emu scenario run PA-06', 'nitro-emu pcr --input IMAGE.eif'],
  reasonNote: /^tampered enclave/,
  setting: [OWNER_SETS_UP],
  attack: (run) => ({
    title: 'The parent launches its own variant of the enclave',
    what: `The parent’s admin stops the approved enclave, unpacks its image and adds a wrapper that hands every key and plaintext the app decrypts to the parent over a vsock port, then launches that image. ${notesSay(run)}`,
    who: 'The parent chose every byte of the modified image, and can talk to the enclave it launched.',
    why: 'The hypervisor measures whatever it loads: any changed byte gives a different PCR0, and the enclave cannot report another value, because its attestation document is signed by the hardware, not by the image.',
  }),
  result: (run) =>
    run.record.outcome === 'leaked'
      ? {
          title: 'KMS releases the key to the modified enclave',
          what: 'The key policy in this run does not check the image’s measurement, so KMS accepts the modified enclave’s genuine (but wrong-PCR0) document and releases the data key to it. The backdoor forwards the key and the decrypted weights to the parent.',
          who: 'The parent now holds the data key and the model’s weights in plaintext.',
          why: 'CONTROL: attestation only protects the key if the policy pins the measurement of the approved image; without that pin, any code that can get a signed document gets the key.',
        }
      : {
          title: 'KMS refuses the modified enclave',
          what: 'The modified enclave attests and asks KMS for the data key. Its document is genuine, but its PCR0 is not the approved one, so the policy’s condition fails and KMS answers AccessDenied. The enclave stops without a key; the backdoor has nothing to hand over.',
          who: 'The parent got the refusal and nothing else: no key, no weights.',
          why: 'The key is bound to what the code is (its measurement), not to who launches it: the parent can run any image it likes, but only the approved one gets the key.',
        },
});

export const replayedAttestation = lessonDemo({
  id: 'replayed-attestation',
  title: 'The parent replays a genuine attestation document of the approved enclave to KMS: it gets nothing it can open',
  scenarioId: 'PA-03',
  defence: 'kmsRecipientEncryption',
  blockedAs: 'denied',
  seeAlso: ['nitro-emu scenario run PA-03', 'nitro-emu scenario run PA-11'],
  reasonNote: /^Decrypt with a replayed document/,
  setting: [OWNER_SETS_UP],
  attack: (run) => ({
    title: 'The parent collects genuine documents and presents them to KMS',
    what: `The parent’s admin gathers attestation documents of the approved enclave: from what its relays carry, and by saying hello on the enclave’s client port (the enclave shows its document to anyone who asks). It then calls KMS Decrypt with its own role and a genuine document as the Recipient. ${notesSay(run)}`,
    who: 'The parent sees the enclave’s public documents; the enclave’s own KMS exchange crosses the parent inside a channel pinned to KMS, so the relays carry no document it could reuse.',
    why: 'An attestation document is not a password: it is public, and it says which public key the answer must be encrypted to. The private half of that key never leaves the enclave.',
  }),
  result: (run) =>
    run.record.outcome === 'leaked'
      ? {
          title: 'KMS answers an attested Decrypt in plaintext',
          what: `In this run KMS does not encrypt its answer to the key inside the document: an attested Decrypt gets the data key back in plaintext, to the role that called. ${run.record.reason}.`,
          who: 'Whoever carries or replays a genuine document gets the data key in the clear: here the parent’s own role.',
          why: 'CONTROL: the document proves what the enclave is, but only encrypting the answer to the enclave’s own key makes that proof useful; a replayed document would buy the key.',
        }
      : {
          title: 'KMS answers only the enclave’s key, and the replay buys nothing',
          what: `KMS verifies the replayed document (genuine signature, approved PCR0), but it sends the data key only encrypted to the public key inside that document, and refuses a key it cannot encrypt to. ${notesSay(run)}`,
          who: 'The parent got refusals, or a ciphertext only the enclave could open: never the data key.',
          why: 'The answer is bound to a key that lives only inside the enclave, so replaying the document is useless; fresh nonces (PA-11) and the document’s age limit (PA-14) close the remaining doors.',
        },
});

export const tamperedBounceBuffer = lessonDemo({
  id: 'tampered-bounce-buffer',
  title: 'The parent flips a bit of the encrypted weights on their way to the GPU: the GPU refuses the chunk',
  scenarioId: 'DEV-07',
  defence: 'tagCheckBeforeWrite',
  blockedAs: 'denied',
  seeAlso: ['nitro-emu scenario run DEV-07', 'nitro-emu demo --defence-off deviceConfidentialPath'],
  reasonNote: /^launch:/,
  setting: [
    {
      title: 'The owner deploys the model; the enclave attests its GPU',
      what: 'The owner’s key and encrypted model are in place. The enclave gets its key from KMS, checks the GPU’s signed measurements against the vendor’s root, and agrees a session key with it. Then it streams the weights to the GPU.',
      who: 'The weights travel through “bounce buffers”: staging slots in the parent’s own memory, because a GPU cannot read enclave memory. The parent sees every chunk land there.',
      why: 'Each chunk is AES-256-GCM ciphertext under the session key, with a tag that proves it was not changed.',
    },
  ],
  attack: (run) => ({
    title: 'The parent flips one bit of a chunk in the bounce buffer',
    what: `While the weights stream, the parent’s admin watches its staging slots and rewrites one chunk with a single ciphertext bit flipped, before the GPU reads it, hoping to corrupt the model unnoticed. ${notesSay(run)}`,
    who: 'The parent sees only ciphertext; it cannot read the weights, but it can change bytes in its own memory.',
    why: 'The GPU checks the GCM tag of each chunk; a flipped bit makes the tag fail.',
  }),
  result: (run) =>
    run.record.outcome === 'leaked'
      ? {
          title: 'The GPU notices too late: the bad chunk is already in its memory',
          what: `In this run the GPU checks the tag only after it has written the chunk into protected memory. It still reports the failure and the enclave stops, but a failed operation has already changed protected state. ${run.record.reason}.`,
          who: 'The parent learned nothing new, but it changed what the GPU holds.',
          why: 'CONTROL: a check that runs after the write cannot undo it; "fail closed" means a refused transfer must leave no trace.',
        }
      : {
          title: 'The GPU refuses the tampered chunk before writing a byte',
          what: `The GPU checks the chunk’s tag first: it fails, the transfer ends with a tag mismatch, nothing is written, and the enclave stops with a typed error rather than serve a model it could not verify. ${notesSay(run)}`,
          who: 'The parent got nothing; the GPU’s protected memory holds no tampered byte.',
          why: 'Checking integrity before acting means an attacker can at most stop the work (availability is not promised), never change what the enclave serves.',
        },
});
