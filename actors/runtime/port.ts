/**
 * What a cluster may use of the runtime, in one module: the cluster (cluster/) imports the runtime only through here
 * and nothing of actors/store directly (a test scans the imports).
 *
 * - Local delivery: `ActorHost.deliverTell` / `deliverAskInto` put a message in the mailbox of an actor this node
 *   hosts; `activeActors`, `deactivate` (a hand-off) and `discardAll` (memory that can no longer be trusted) manage
 *   what it holds.
 * - Outbound: `ActorHost.routeVia(system)` sends every `ctx.tell`/`ctx.ask` of a handler through the cluster's
 *   `ActorSystem` (the router), which delivers local keys back through the two calls above.
 * - The trace-carrying envelope: a message that waits outside its sender's async context keeps it (`wrapIfTraced`).
 * - The store interface and the snapshot and value codecs, for replication and hand-off of what a node stores.
 */
export { ActorHost } from './host.js';
export type { HostOptions } from './options.js';
export { TracedMessage, wrapIfTraced } from './tracing.js';
export type { ActorRef, ActorSystem, AskOptions, Clock, Codec, KindDef, Logger } from './types.js';
export { deferred, type Deferred } from './deferred.js';
export { systemClock } from './clock.js';
export { silentLogger } from './logger.js';
export type { SnapshotStore, StoreOp, SweepResult } from '../store/snapshot-store.js';
export { decodeSnapshot, decodeValue, encodeSnapshot, encodeValue } from '../store/snapshot-codec.js';
