import type { StoreOp } from '../../actors/runtime/port.js';
import type { ReplicatingStore } from './replicating-store.js';
import type { Reply, Transport } from '../transport/transport.js';
import { RemoteActorError } from './errors.js';
import { systemEnvelope } from './replies.js';
import type { ClaimAnswer } from './system-messages.js';
import { CLAIM_KIND } from './system-messages.js';
import { MSGPACK } from './wire-codec.js';

/**
 * Batching of the handoff's per-actor work, so moving thousands of actors costs a few round trips and commits
 * rather than one claim round and one LMDB commit per actor. Everything asked within one turn of the event loop
 * goes out together: one `$claim` envelope per peer (at most `maxRefs` actors each), one commit of every term.
 */

/** Actors per `$claim` envelope (a term snapshot of a small actor is ~100 bytes; the link batches up to 256 KiB). */
export const CLAIM_BATCH_REFS = 256;
/** Exported state per claim answer, in bytes; actors past it are answered `ANSWER_FULL` and claimed again next round. */
export const CLAIM_ANSWER_MAX_BYTES = 1024 * 1024;

/** The requests the `$claim` system kind carries. */
export type HandoffRequest =
  /** Give up these actors (or say you own them), answered by one `ClaimAnswer` per ref, in order. */
  | { readonly t: 'claim'; readonly refs: ReadonlyArray<readonly [string, string]> }
  /** The sender no longer owns these (its ring changed): claim the ones you own now. */
  | { readonly t: 'hint'; readonly refs: ReadonlyArray<readonly [string, string]> }
  /** The sender is leaving: keep these exports as candidates for your later claim (see leave-push.ts). */
  | { readonly t: 'push'; readonly actors: readonly unknown[] }
  /** Ring coverage (coverage.ts): for everything the sender owns by the ring with this checksum, drain and list. */
  | { readonly t: 'cover'; readonly ring: string };

/** A claim answer, or why the peer could not answer for this actor. */
export type ClaimResult = ClaimAnswer | { readonly error: string };

export function encodeRequest(r: HandoffRequest): Uint8Array {
  return MSGPACK.encode(r);
}

export function decodeRequest(bytes: Uint8Array): HandoffRequest {
  return MSGPACK.decode(bytes) as HandoffRequest;
}

interface Waiting {
  readonly kind: string;
  readonly key: string;
  readonly deadlineMs: number;
  resolve(a: ClaimAnswer): void;
  reject(err: unknown): void;
}

/**
 * Coalesces claim requests to each peer into `$claim` envelopes of up to `maxRefs` actors. Claims a message waits
 * for and prefetched ones (`bulk`) go in separate envelopes: an answer comes once every actor in it is drained, so
 * a waiting message must not sit behind hundreds of bulk drains.
 */
export class ClaimBatcher {
  private readonly waiting = new Map<string, { peer: string; list: Waiting[] }>();
  private scheduled = false;

  constructor(private readonly transport: Transport, private readonly nodeId: string, private readonly maxRefs = CLAIM_BATCH_REFS) {}

  ask(peer: string, kind: string, key: string, deadlineMs: number, bulk = false): Promise<ClaimAnswer> {
    return new Promise<ClaimAnswer>((resolve, reject) => {
      const slot = `${bulk ? 'b' : 'm'}${peer}`;
      let entry = this.waiting.get(slot);
      if (entry === undefined) this.waiting.set(slot, (entry = { peer, list: [] }));
      entry.list.push({ kind, key, deadlineMs, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [slot, { peer, list }] of this.waiting) {
      this.waiting.delete(slot);
      for (let i = 0; i < list.length; i += this.maxRefs) this.send(peer, list.slice(i, i + this.maxRefs));
    }
  }

  private send(peer: string, batch: Waiting[]): void {
    const payload = encodeRequest({ t: 'claim', refs: batch.map((w) => [w.kind, w.key] as const) });
    const deadlineMs = Math.max(...batch.map((w) => w.deadlineMs));
    let sent: Promise<Reply>;
    try {
      sent = this.transport.ask(peer, systemEnvelope(this.nodeId, CLAIM_KIND, payload), deadlineMs);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent
      .then((reply) => {
        if (reply.errorCode !== '') throw new RemoteActorError(reply.errorCode, reply.errorMessage, peer);
        const answers = MSGPACK.decode(reply.payload) as ClaimResult[];
        batch.forEach((w, i) => {
          const a = answers[i];
          if (a === undefined) w.reject(new RemoteActorError('BAD_CLAIM_ANSWER', `no answer for ${w.kind}/${w.key}`, peer));
          else if ('error' in a) w.reject(new RemoteActorError(a.error, `claim of ${w.kind}/${w.key} refused`, peer));
          else w.resolve(a);
        });
      })
      .catch((err: unknown) => {
        for (const w of batch) w.reject(err);
      });
  }
}

/**
 * Commits every op list added within one turn of the event loop in one transaction, through the replicating store
 * without waiting for a replica (a term's first snapshot acknowledges nothing: see `commitReplicatingLater`).
 */
export class CommitCoalescer {
  private ops: StoreOp[] = [];
  private waiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];

  constructor(private readonly store: ReplicatingStore) {}

  commit(ops: readonly StoreOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (this.waiters.length === 0) setImmediate(() => this.flush());
      this.ops.push(...ops);
      this.waiters.push({ resolve, reject });
    });
  }

  private flush(): void {
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    this.store.commitReplicatingLater(ops).then(
      () => waiters.forEach((w) => w.resolve()),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
