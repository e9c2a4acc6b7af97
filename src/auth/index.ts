// Authentication and roles of the admin and service APIs (DESIGN.md 7): bearer tokens, principals, a guard.
export * from './errors.js';
export * from './roles.js';
export * from './token.js';
export * from './principals-file.js';
export * from './authenticator.js';
export * from './credentials.js';
export * from './guard.js';
