export * from './constants.js';
export * from './errors.js';
export * from './get-data.js';
export * from './scp11/index.js';
export * from './data-objects/index.js';
export * from './key-update/index.js';
export * from './key-management/index.js';
