// Worker-thread entry: a fresh thread has no TypeScript loader, so register tsx before loading the
// TypeScript worker (the same thing bin/nitro-emu.mjs does for the main thread).
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
