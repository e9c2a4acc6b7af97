export * from './constants.js';
export * from './errors.js';
export * from './get-data.js';
export * from './scp11/index.js';
