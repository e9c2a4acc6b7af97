// Issue 11, DESIGN.md 8: campaigns (selection, store on both backends, feeder, admin routes).
export * from './campaign.js';
export * from './selection.js';
export * from './store.js';
export * from './store-sqlite.js';
export * from './store-postgres.js';
export * from './open-store.js';
export * from './change.js';
export { ABANDONED_DRAFT_MS } from './draft-sweep.js';
export * from './feeder.js';
export * from './service.js';
export * from './view.js';
export * from './routes.js';
export * from './metrics.js';
