// The fleet simulator (issue 11, DESIGN.md 8): many virtual cards and UE agents in one process, the load
// generator for campaigns and benchmarks.
export * from './errors.js';
export * from './identities.js';
export * from './faults.js';
export * from './stats.js';
export * from './runner.js';
export * from './verify.js';
export * from './memory-source.js';
