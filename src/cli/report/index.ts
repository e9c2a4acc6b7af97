export * from './events.js';
export * from './apdu-names.js';
export * from './http-names.js';
export * from './recorder.js';
export * from './render.js';
export * from './write-report.js';
