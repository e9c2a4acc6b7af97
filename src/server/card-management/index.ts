// Issue 13: card-management jobs (CA-KLOC rotation, deny list, OCE allowlist) pushed to cards over RAM + SCP11a.
export * from './job.js';
export * from './store.js';
export * from './store-postgres.js';
export * from './open-store.js';
export * from './lockout.js';
export * from './steps.js';
export * from './session.js';
export * from './service.js';
export * from './admin-routes.js';
