import type { Command } from '../command.ts';
import { attestCommand } from './attest.ts';
import { benchCommand } from './bench.ts';
import { demoCommand } from './demo.ts';
import { verifyAttestationCommand } from './verify-attestation.ts';

export const commands: readonly Command[] = [demoCommand, attestCommand, verifyAttestationCommand, benchCommand];
