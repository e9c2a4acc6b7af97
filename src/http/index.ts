// The HTTP kit shared by the HSS, the core and the Provisioning Server (DESIGN.md 3): one fastify setup, one
// error shape, route tables that also generate OpenAPI, probes, metrics. Imports ports and auth only.
export * from './problem.js';
export * from './app.js';
export * from './routes.js';
export * from './openapi.js';
export * from './probes.js';
export * from './metrics.js';
export * from './listen.js';
export * from './service-app.js';
export * from './client.js';
