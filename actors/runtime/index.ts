export * from './types.js';
export * from './errors.js';
export * from './options.js';
export { ActorHost } from './host.js';
export { systemClock, fakeClock, type FakeTimerClock } from './clock.js';
export { consoleLogger, memoryLogger } from './logger.js';
export { TracedMessage, wrapIfTraced } from './tracing.js';
export { deferred, type Deferred } from './deferred.js';
