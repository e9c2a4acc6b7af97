export * from './errors.js';
export * from './functions.js';
export * from './milenage.js';
export * from './tuak.js';
export * from './autn.js';
export * from './sqn.js';
export { SQN_MAX, sqnToBytes, sqnFromBytes } from './sqn-bytes.js';
export * from './gsm.js';
export * from './keys.js';
