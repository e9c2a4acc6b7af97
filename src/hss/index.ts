// The HSS/AuC (DESIGN.md 4.8, 5, 6). server/ and core/ use hss/client/ instead of this.
export * from './errors.js';
export * from './client/model.js';
export * from './subscriber.js';
export * from './key-vault.js';
export * from './kek.js';
export * from './auc-vectors.js';
export * from './auc.js';
export * from './transition.js';
export * from './vectors.js';
export * from './hss.js';
export * from './runtime.js';
export { buildHssApp, hssStoreReadiness, viewJson, type HssAppDeps } from './http/app.js';
export { HssMetrics } from './http/metrics.js';
export { listenHss, type RunningHss } from './http/server.js';
export * from './personalisation-file.js';
export * from './personalisation-lines.js';
