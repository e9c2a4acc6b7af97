export * from './errors.js';
export * from './form.js';
export * from './key-information.js';
export * from './capabilities.js';
export * from './ca-kloc.js';
export * from './certificate-store.js';
export * from './oce-allowlist.js';
export * from './deny-list.js';
