import { ownerOf, type Ring } from '../placement/ring.js';
import { encodeRequest } from './claim-batch.js';
import { systemEnvelope } from './replies.js';
import type { RoutingContext } from './context.js';
import { CLAIM_KIND } from './system-messages.js';
import { MSGPACK } from './wire-codec.js';

/** Actors per hint; the receiver claims them in one batch per peer before it answers. */
export const HINT_BATCH_REFS = 128;
/** Hints awaiting their answer at once, per new owner. */
const HINT_BATCHES_IN_FLIGHT = 2;
/**
 * Rounds a hint is re-sent for actors the receiver did not own yet (its ring lagged ours) or could not be reached
 * (a joiner's link comes up after membership announced it).
 */
const HINT_ROUNDS = 20;
/** Pause before re-sending those, in ms. */
const HINT_RETRY_MS = 250;
/** Stored actors listed between yields to the event loop while planning hints. */
const LIST_SLICE = 2_000;

/** What the receiver of a hint answers: how many it claimed, and those it did not own by its ring. */
export interface HintAnswer {
  readonly claimed: number;
  readonly notOwner: ReadonlyArray<readonly [string, string]>;
}

/**
 * After a ring change, tells each new owner which of this node's stored actors it now owns, in batches of
 * `HINT_BATCH_REFS` at most `handoffActorsPerSec`, so it claims them ahead of their first message: one batched
 * claim per peer instead of one claim round per actor on the request path. Purely an optimisation: an actor not
 * hinted (a hint lost, a node that crashed) is claimed on its first message, with the same guarantees.
 */
export class HintSender {
  private ring: Ring | undefined;
  /** Bumped on every ring change and on stop: a run that sees another value stops. */
  private generation = 0;

  constructor(private readonly router: RoutingContext) {}

  ringMaybeChanged(): void {
    const r = this.router;
    if (this.ring !== undefined && this.ring.checksum === r.ring.checksum) return;
    const before = this.ring;
    this.ring = r.ring;
    const generation = ++this.generation;
    if (before === undefined || !r.serving || r.store.inner.listActors === undefined) return;
    void this.run(before, r.ring, generation).catch((err: unknown) => r.logger.warn({ err }, 'handoff hints abandoned'));
  }

  stop(): void {
    this.generation++;
  }

  private async run(before: Ring, after: Ring, generation: number): Promise<void> {
    const r = this.router;
    const perOwner = new Map<string, Array<readonly [string, string]>>();
    let n = 0;
    for (const { kind, key } of r.store.inner.listActors!()) {
      if (++n % LIST_SLICE === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (generation !== this.generation) return;
      }
      if (r.kindEntry(kind) === undefined || ownerOf(before, kind, key) !== r.nodeId) continue;
      const to = ownerOf(after, kind, key);
      if (to === r.nodeId) continue;
      let list = perOwner.get(to);
      if (list === undefined) perOwner.set(to, (list = []));
      list.push([kind, key]);
    }
    await Promise.all([...perOwner].map(([to, refs]) => this.send(to, refs, generation)));
  }

  private async send(to: string, refs: Array<readonly [string, string]>, generation: number): Promise<void> {
    const r = this.router;
    const startMs = Date.now();
    let sent = 0;
    for (let round = 0; round < HINT_ROUNDS && refs.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, HINT_RETRY_MS));
      const retry: Array<readonly [string, string]> = [];
      const batches: Array<Array<readonly [string, string]>> = [];
      for (let i = 0; i < refs.length; i += HINT_BATCH_REFS) batches.push(refs.slice(i, i + HINT_BATCH_REFS));
      // A few batches in flight, so one batch's claim round overlaps the previous one's term commit.
      await Promise.all(
        Array.from({ length: HINT_BATCHES_IN_FLIGHT }, async () => {
          for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
            if (generation !== this.generation) return;
            // Paced to handoffActorsPerSec over this run.
            const dueMs = startMs + (sent * 1000) / r.options.handoffActorsPerSec;
            sent += batch.length;
            if (dueMs > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueMs - Date.now()));
            const env = systemEnvelope(r.nodeId, CLAIM_KIND, encodeRequest({ t: 'hint', refs: batch }));
            try {
              const reply = await r.transport.ask(to, env, Date.now() + r.options.peerRequestTimeoutMs);
              if (reply.errorCode !== '') throw new Error(`${reply.errorCode}: ${reply.errorMessage}`);
              retry.push(...(MSGPACK.decode(reply.payload) as HintAnswer).notOwner);
            } catch (err) {
              r.logger.debug({ peer: to, err, round }, 'handoff hint not delivered; retried (the actors are claimed on their first message anyway)');
              retry.push(...batch);
            }
          }
        }),
      );
      refs = retry;
    }
  }
}
