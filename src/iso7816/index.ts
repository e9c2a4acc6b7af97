export * from './apdu.js';
export * from './channel.js';
export * from './errors.js';
export * from './instructions.js';
export * from './status-words.js';
export * from './get-response.js';
export * from './chaining.js';
export * from './remote-script.js';
