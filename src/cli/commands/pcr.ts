import { EmuError } from '../../errors.ts';
import { fromUtf8, toHex } from '../../crypto/index.ts';
import { pcrOfBytes, signingCertificateDer } from '../../enclave/index.ts';
import { printJson, type Command } from '../command.ts';

export const pcrCommand: Command = {
  name: 'pcr',
  summary: 'print the PCR of a file (--input) or the PCR8 of a signing certificate',
  usage: `nitro-emu pcr --input FILE | --signing-certificate PEM

As nitro-cli pcr: --input prints {"PCR": extend(0, SHA384(file))}; --signing-certificate prints
{"PCR8": extend(0, SHA384(DER of the certificate))}, the value a signed image's PCR8 takes.`,
  args: { values: ['input', 'signing-certificate'] },
  async run(args, io) {
    const input = args.values.get('input');
    const certificate = args.values.get('signing-certificate');
    if ((input === undefined) === (certificate === undefined)) {
      throw new EmuError('CLI_BAD_ARGS', 'give exactly one of --input and --signing-certificate');
    }
    if (input !== undefined) {
      printJson(io, { PCR: toHex(pcrOfBytes(io.readFile(input))) });
      return 0;
    }
    let pem: string;
    try {
      pem = fromUtf8(io.readFile(certificate!));
    } catch (error) {
      if (error instanceof EmuError) throw error;
      throw new EmuError('CLI_BAD_INPUT', `${certificate} is not PEM text`);
    }
    printJson(io, { PCR8: toHex(pcrOfBytes(signingCertificateDer(pem))) });
    return 0;
  },
};
