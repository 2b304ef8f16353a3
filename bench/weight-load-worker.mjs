// Worker-thread entry: a fresh thread has no TypeScript loader, so register tsx before loading the
// TypeScript device side (the same thing src/scenario/pool-worker.mjs does).
import { register } from 'tsx/esm/api';

register();
await import('./weight-load-device.ts');
