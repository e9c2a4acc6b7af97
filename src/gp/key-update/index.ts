export * from './constants.js';
export * from './errors.js';
export * from './parameters.js';
export * from './request.js';
export * from './result.js';
export * from './status.js';
export * from './digest.js';
export * from './policy.js';
