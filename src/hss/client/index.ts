export * from './model.js';
export * from './hss-client.js';
export * from './errors.js';
export * from './wire.js';
