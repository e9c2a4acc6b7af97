// The core network's attach/detach service (DESIGN.md 4.8): MME/AMF with the AUSF role, talking to the HSS.
export * from './errors.js';
export * from './attach-service.js';
export * from './push.js';
export { buildCoreApp, hssReadiness, type CoreDeps } from './http/app.js';
export { listenCore, type RunningCore } from './http/server.js';
export * from './gsup-auth-source.js';
