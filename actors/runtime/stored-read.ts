import type { SnapshotStore } from '../store/snapshot-store.js';
import { activate, type HostServices, type KindRuntime } from './activation.js';
import type { CommitBatch } from './commit-batch.js';
import { HandlerError, ReadOnlyMessageError } from './errors.js';
import type { ActorRef, AskOptions } from './types.js';

/**
 * Answers a read-only message (`KindDef.readOnly`) of an actor that is not active from its stored state: the same
 * load an activation does (latest snapshot, journal tail, unexpired session), handed to the handler once and then
 * dropped. Nothing is kept in memory, no passivation is scheduled and the session's idle timer is not restarted
 * (a read is not activity). The edge uses it so that an open event stream does not hold its player's actor in memory.
 */
export function answerFromStore(rt: KindRuntime, host: HostServices, store: SnapshotStore, key: string, msg: unknown, nowMs: number): Promise<unknown> {
  const services = readOnlyServices(host, `${rt.name}/${key}`);
  // Throws ActivationError like an activation would; the caller turns it into a rejected ask.
  const actor = activate(rt, services, store, key, nowMs);
  let result: unknown;
  try {
    result = rt.def.handle(msg, actor);
    // emit() only queues until the turn's commit, which a stored read never has: refuse rather than drop it.
    if (actor['emits'] !== null) throw new ReadOnlyMessageError(actor.id, 'emitted');
  } catch (cause) {
    return Promise.reject(cause instanceof ReadOnlyMessageError ? cause : new HandlerError(actor.id, { cause }));
  }
  return Promise.resolve(result).then(
    (value) => {
      if (actor['emits'] !== null) throw new ReadOnlyMessageError(actor.id, 'emitted');
      return value;
    },
    (cause: unknown) => {
      throw cause instanceof ReadOnlyMessageError ? cause : new HandlerError(actor.id, { cause });
    },
  );
}

function readOnlyServices(host: HostServices, actorId: string): HostServices {
  return {
    batchFor(): CommitBatch<never> {
      throw new ReadOnlyMessageError(actorId, 'persisted or audited');
    },
    tell(ref: ActorRef<any, any>, msg: unknown): void {
      host.tell(ref, msg);
    },
    ask(ref: ActorRef<any, any>, msg: unknown, options?: AskOptions): Promise<any> {
      return host.ask(ref, msg, options);
    },
    nowMs: () => host.nowMs(),
  };
}
