// The package root (`import … from 'nitro-emu'`): the world and the scenario engine. Attack code
// for tests usually wants only 'nitro-emu/scenario'.
export * from './world/index.ts';
export * from './scenario/index.ts';
