export { hasBinaryArgs, isUtf8, withArgDecoding } from './binary-args.js';
export { openRestPort } from './open-rest.js';
export { defaultMaxRequestBytes, RestPort, type RestPortOptions } from './rest-port.js';
