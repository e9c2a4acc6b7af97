// The Provisioning Server (DESIGN.md 1, 4.4, 4.5, 4.7, 6): key-update sessions, jobs, RAM endpoint, admin API.
export * from './errors.js';
export * from './suite.js';
export * from './script-channel.js';
export * from './session.js';
export * from './job.js';
export * from './job-store.js';
export * from './inventory.js';
export * from './jobs.js';
export * from './reconciler.js';
export * from './ram-endpoint.js';
export * from './app.js';
export * from './job-store-postgres.js';
export * from './open-job-store.js';
export * from './push.js';
export * from './oce-validity.js';
export * from './oce-validity-watch.js';
export * from './card-pins.js';
