export * from './errors.js';
export * from './gsmtap.js';
export * from './ipv4-udp.js';
export * from './pcap.js';
export * from './tracing-channel.js';
