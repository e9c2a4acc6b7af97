// The UE agent (DESIGN.md 3, 4.6, 4.8): USIM access over a CardChannel, attach/detach, card transports.
export * from './errors.js';
export * from './usim.js';
export * from './core-client.js';
export * from './attach.js';
export * from './net-error.js';
export * from './transports/tcp.js';
export * from './transports/pcsc.js';
