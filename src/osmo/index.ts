// The osmo layer: byte-exact codecs and TCP clients for Osmocom's IPA, CTRL and GSUP, and an osmo-hlr launcher.
export { OsmoError, type OsmoErrorKind } from './errors.js';
export { endpointName, type Endpoint } from './endpoint.js';
export * from './ipa/constants.js';
export * from './ipa/frame.js';
export * from './ipa/ccm.js';
export { IpaConnection, type IpaConnectOptions, type IpaHandlers } from './ipa/connection.js';
export * from './ctrl/message.js';
export { CtrlClient, CTRL_DEFAULT_TIMEOUT_MS, type CtrlClientOptions } from './ctrl/client.js';
export * from './ctrl/subscribers.js';
export * from './gsup/constants.js';
export * from './gsup/ie.js';
export * from './gsup/message.js';
export * from './gsup/auth-tuple.js';
export * from './gsup/send-auth-info.js';
export {
  GsupClient,
  GSUP_DEFAULT_TIMEOUT_MS,
  GSUP_DEFAULT_UNIT_NAME,
  type GsupClientOptions,
} from './gsup/client.js';
export * from './hlr-process.js';
