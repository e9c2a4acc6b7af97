export * from './errors.js';
export * from './put-key.js';
export * from './delete-key.js';
export * from './host.js';
