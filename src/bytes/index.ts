export * from './bytes.js';
export * from './hex.js';
export * from './bcd.js';
export * from './ber-tlv.js';
export * from './errors.js';
