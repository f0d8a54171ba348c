export { GrpcWebAdapter, GrpcWebOptionsError, type GrpcWebOptions } from './adapter.js';
export { type ServiceBinding, MissingHandlerError } from './routes.js';
