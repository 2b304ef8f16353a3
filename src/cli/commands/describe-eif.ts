import { describeEifJson, readEif } from '../../enclave/index.ts';
import { requireValue } from '../args.ts';
import { printJson, type Command } from '../command.ts';

export const describeEifCommand: Command = {
  name: 'describe-eif',
  summary: "print an enclave image's version, PCRs, signature and metadata (nitro-cli's JSON)",
  usage: `nitro-emu describe-eif --eif-path EIF

Prints the JSON nitro-cli describe-eif prints: EifVersion, Measurements (PCR0/1/2, PCR8 when signed),
IsSigned, SigningCertificate, CheckCRC, SignatureCheck, ImageName, ImageVersion, Metadata.
Exit code 0 when the CRC matches and any signature verifies, 1 when either check fails (the JSON says
which), 2 when the file is not a well-formed EIF.`,
  args: { values: ['eif-path'] },
  async run(args, io) {
    const eif = readEif(io.readFile(requireValue(args, 'eif-path')));
    printJson(io, describeEifJson(eif));
    if (!eif.crcOk) io.stderr('the image CRC does not match its contents\n');
    if (eif.signatureValid === false) io.stderr(`the image signature is invalid: ${eif.signatureProblem ?? ''}\n`);
    return eif.crcOk && eif.signatureValid !== false ? 0 : 1;
  },
};
