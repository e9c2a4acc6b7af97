export * from './clock.js';
export * from './logger.js';
export * from './bounded-cache.js';
