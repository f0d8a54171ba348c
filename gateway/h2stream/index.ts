export { installNativeStreams } from './hook.js';
export { NativeStreams, NativeStreamsOptionsError, type NativeStreamsOptions } from './serve.js';
export { RequestMessageError, readRequestMessage } from './request.js';
