import { context } from '@opentelemetry/api';
import { TracedMessage, wrapIfTraced } from '../../actors/runtime/port.js';
import type { ActorRef } from '../../actors/runtime/port.js';
import { HandoffPendingError } from './errors.js';
import { exportActor, termOps, type ExportedActor } from './handoff.js';
import type { PendingAsk, RoutingContext } from './context.js';
import type { ClaimAnswer } from './system-messages.js';
import type { Reply } from '../transport/transport.js';
import { MSGPACK } from './wire-codec.js';
import { errorReply, okReply } from './replies.js';
import { ClaimBatcher, CLAIM_ANSWER_MAX_BYTES, CommitCoalescer, decodeRequest, type ClaimResult } from './claim-batch.js';
import { HintSender, type HintAnswer } from './hints.js';
import { receivePush } from './leave-push.js';
import { answerCover, RingCoverage } from './coverage.js';

/** Pause between claim rounds while a peer still owns the actor by its (older) ring, in ms. */
const CLAIM_RETRY_MS = 50;
/** Actors exported between yields to the event loop while answering a batched claim. */
const EXPORT_SLICE = 32;

interface Claim {
  readonly ref: ActorRef;
  /** (message, reply) pairs in arrival order, delivered to the host once the claim succeeds. */
  readonly queue: unknown[];
  aborted: boolean;
  /** Set for prefetched claims (no message waits yet): called when the claim ends (settled, failed or aborted). */
  done?: () => void;
}

/**
 * Before this node's host may activate an actor it has come to own, it claims it: every other live member is asked
 * to give it up. A member that still owns it by its ring refuses (we retry until rings agree); the others drain it
 * (mailbox handled, final snapshot) and send what they hold. The newest state starts our ownership term
 * (`termOps`); messages that arrive meanwhile wait here in order, so each is handled once, by one activation.
 *
 * Claims go out batched per peer (`claim-batch.ts`), and after a ring change the old owner hints the new one which
 * stored actors it now owns (`hints.ts`), so the new owner claims them ahead of their first message.
 */
export class Claims {
  private readonly settled = new Set<string>();
  private readonly pending = new Map<string, Claim>();
  private readonly batcher: ClaimBatcher;
  private readonly terms: CommitCoalescer;
  private readonly hints: HintSender;
  private readonly coverage: RingCoverage;
  /** Per-actor claims begun since start (a message's or a hint's): with ring coverage, only actors a peer listed. */
  claimsStarted = 0;

  constructor(private readonly router: RoutingContext) {
    this.batcher = new ClaimBatcher(router.transport, router.nodeId);
    this.terms = new CommitCoalescer(router.store);
    this.hints = new HintSender(router);
    // Claims settled before the round completed are in `settled`; the round's `held` need not list them again, and
    // from then on the coverage speaks for every other actor of our share: `settled` stays small.
    this.coverage = new RingCoverage(router, (held) => {
      for (const id of this.settled) held.delete(id);
      this.settled.clear();
    });
  }

  /** Settled here: this node has claimed the actor in its current ownership, one by one or by ring coverage. */
  isSettled(kind: string, key: string): boolean {
    const id = `${kind}/${key}`;
    return this.settled.has(id) || (!this.pending.has(id) && this.coverage.settles(kind, key, id));
  }

  /** True when ring coverage of the current epoch has completed (first activations need no claim). */
  get covered(): boolean {
    return this.coverage.complete;
  }

  /** Delivers to the host when the actor is claimed, else queues behind its claim. */
  deliver(ref: ActorRef, msg: unknown, reply: PendingAsk | undefined): void {
    const id = `${ref.kind}/${ref.key}`;
    if (this.settled.has(id)) return this.toHost(ref, msg, reply);
    // A claim already under way keeps its place (its queued messages go first, in order).
    if (!this.pending.has(id) && this.coverage.settles(ref.kind, ref.key, id)) return this.toHost(ref, msg, reply);
    let claim = this.pending.get(id);
    if (claim === undefined) {
      claim = { ref: { kind: ref.kind, key: ref.key }, queue: [], aborted: false };
      this.pending.set(id, claim);
      this.claimsStarted++;
      void this.run(claim, id);
    }
    // A message that waits for the claim is handled later, outside its sender's async context: keep the context.
    claim.queue.push(this.router.host.tracing ? wrapIfTraced(msg, this.router.clock.now()) : msg, reply);
  }

  /** Ownership changed: claims and settled actors this node no longer owns are dropped (queued messages re-routed). */
  reconsider(owns: (kind: string, key: string) => boolean): void {
    if (this.coverage.outdated) this.keepActive(owns);
    for (const id of this.settled) {
      const i = id.indexOf('/');
      if (!owns(id.slice(0, i), id.slice(i + 1))) this.settled.delete(id);
    }
    for (const claim of [...this.pending.values()]) if (!owns(claim.ref.kind, claim.ref.key)) this.abort(claim);
    this.coverage.reconsider();
    this.hints.ringMaybeChanged();
  }

  /**
   * The ring changed after a coverage round had settled this node's share: the actors active here that the round
   * settled and that stay ours stay settled, with no claim. Nobody else can have hosted them meanwhile (a peer's
   * claim drains an actor here first, and is refused while we own it), so their activations hold the newest state:
   * Orleans and Akka skip the hand-off of a shard whose owner did not change. Without this, every such actor's next
   * message took a claim round to every peer after each ring change.
   */
  private keepActive(owns: (kind: string, key: string) => boolean): void {
    for (const ref of this.router.host.activeActors()) {
      const id = `${ref.kind}/${ref.key}`;
      if (!this.pending.has(id) && owns(ref.kind, ref.key) && this.coverage.settledBefore(ref.kind, ref.key, id)) this.settled.add(id);
    }
  }

  /** A `$claim` request from a peer: claim answers, a hint of actors this node now owns, or a leaving node's push. */
  async answer(payload: Uint8Array, from: string): Promise<Reply> {
    let req;
    try {
      req = decodeRequest(payload);
    } catch (err) {
      return errorReply('BAD_ENVELOPE', `undecodable $claim request: ${(err as Error).message}`);
    }
    switch (req?.t) {
      case 'claim':
        return okReply(MSGPACK.encode(await this.answerClaims(req.refs, from)));
      case 'hint':
        return okReply(MSGPACK.encode(await this.prefetch(req.refs)));
      case 'push':
        return okReply(MSGPACK.encode(await receivePush(this.router, req.actors, (kind, key) => this.isSettled(kind, key) || this.pending.has(`${kind}/${key}`))));
      case 'cover':
        return okReply(MSGPACK.encode(await answerCover(this.router, req.ring, from)));
      default:
        return errorReply('BAD_ENVELOPE', 'unknown $claim request');
    }
  }

  /**
   * Per actor: refuse while this node owns it, else drain it here and give the claimant our state. Exports stop at
   * `CLAIM_ANSWER_MAX_BYTES`; the rest are answered `ANSWER_FULL` and come again in the claimant's next round.
   */
  private async answerClaims(refs: ReadonlyArray<readonly [string, string]>, from: string): Promise<ClaimResult[]> {
    const r = this.router;
    const out: ClaimResult[] = refs.map(([kind, key]) => {
      if (r.kindEntry(kind) === undefined) return { error: 'UNKNOWN_KIND' };
      if (r.serving && r.isOwner(kind, key)) return { owner: true };
      this.settled.delete(`${kind}/${key}`);
      return { error: 'PENDING' };
    });
    await Promise.all(refs.map(([kind, key], i) => ('error' in out[i]! && out[i].error === 'PENDING' ? r.host.deactivate({ kind, key }) : undefined)));
    let bytes = 0;
    for (let i = 0; i < refs.length; i++) {
      const o = out[i]!;
      if (!('error' in o) || o.error !== 'PENDING') continue;
      if (bytes >= CLAIM_ANSWER_MAX_BYTES) {
        out[i] = { error: 'ANSWER_FULL' };
        continue;
      }
      // Exports are synchronous LMDB reads and re-encodings: let other messages through between slices.
      if (i > 0 && i % EXPORT_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      const [kind, key] = refs[i]!;
      const answer: ClaimAnswer = { owner: false, ...exportActor(r.store.inner, r.kindEntry(kind)!.def, key, r.clock.now()) };
      bytes += (answer.snapshot?.length ?? 0) + (answer.session?.value.length ?? 0) + 32;
      r.logger.debug({ actor: `${kind}/${key}`, to: from, seq: answer.seq }, 'actor released to claimant');
      out[i] = answer;
    }
    return out;
  }

  /**
   * Claims the hinted actors this node owns and has not claimed yet, ahead of their first message (messages that
   * arrive meanwhile queue behind the claim as usual). Resolves when those claims ended, so the hinting node paces itself.
   */
  private async prefetch(refs: ReadonlyArray<readonly [string, string]>): Promise<HintAnswer> {
    const r = this.router;
    const started: Promise<void>[] = [];
    const notOwner: Array<readonly [string, string]> = [];
    for (const [kind, key] of refs) {
      const id = `${kind}/${key}`;
      if (r.kindEntry(kind) === undefined || this.isSettled(kind, key) || this.pending.has(id)) continue;
      if (!r.serving || !r.isOwner(kind, key)) {
        notOwner.push([kind, key]);
        continue;
      }
      const claim: Claim = { ref: { kind, key }, queue: [], aborted: false };
      started.push(new Promise<void>((resolve) => (claim.done = resolve)));
      this.pending.set(id, claim);
      this.claimsStarted++;
      void this.run(claim, id);
    }
    await Promise.all(started);
    return { claimed: started.length, notOwner };
  }

  abortAll(): void {
    this.settled.clear();
    this.coverage.stop();
    this.hints.stop();
    for (const claim of [...this.pending.values()]) this.abort(claim);
  }

  private toHost(ref: ActorRef, msg: unknown, reply: PendingAsk | undefined): void {
    const host = this.router.host;
    if (reply === undefined) return host.deliverTell(ref, msg);
    host.deliverAskInto(ref, msg, reply.resolve, reply.reject, Math.max(1, reply.deadlineMs - this.router.clock.now()));
  }

  private abort(claim: Claim): void {
    claim.aborted = true;
    claim.done?.();
    this.pending.delete(`${claim.ref.kind}/${claim.ref.key}`);
    const q = claim.queue;
    for (let i = 0; i < q.length; i += 2) {
      const reply = q[i + 1] as PendingAsk | undefined;
      const queued = q[i];
      try {
        if (queued instanceof TracedMessage) context.with(queued.parent, () => this.router.route(claim.ref, queued.msg, reply));
        else this.router.route(claim.ref, queued, reply);
      } catch (err) {
        if (reply !== undefined) reply.reject(err);
        else this.router.logger.warn({ actor: `${claim.ref.kind}/${claim.ref.key}`, err }, 'tell dropped: no owner to re-route to');
      }
    }
  }

  private fail(claim: Claim, id: string, err: Error): void {
    claim.done?.();
    this.pending.delete(id);
    const q = claim.queue;
    for (let i = 1; i < q.length; i += 2) (q[i] as PendingAsk | undefined)?.reject(err);
    this.router.logger.warn({ actor: id, err }, 'claim failed');
  }

  private async run(claim: Claim, id: string): Promise<void> {
    const r = this.router;
    const { kind, key } = claim.ref;
    const def = r.kindEntry(kind)!.def;
    const deadlineMs = this.router.clock.now() + r.options.peerRequestTimeoutMs;
    try {
      for (;;) {
        const peers = r.claimPeers();
        const answers = await Promise.allSettled(peers.map((p) => this.batcher.ask(p, kind, key, deadlineMs, claim.done !== undefined && claim.queue.length === 0)));
        if (claim.aborted) return;
        // An activation of the actor here (it stayed ours across a ring change) goes first: its state is the newest,
        // and the term below starts the store a million seqs up, under which its later writes would never be read.
        await r.host.deactivate(claim.ref);
        if (claim.aborted) return;
        const exports: ExportedActor[] = [exportActor(r.store.inner, def, key, r.clock.now())];
        let holder: string | undefined;
        answers.forEach((a, i) => {
          if (a.status === 'rejected' || a.value.owner) holder = peers[i];
          else exports.push(a.value);
        });
        if (holder === undefined) {
          await this.terms.commit(termOps(r.store, def, key, exports, r.clock.now()));
          if (claim.aborted) return;
          claim.done?.();
          this.pending.delete(id);
          if (this.coverage.complete) this.coverage.claimed(id);
          else this.settled.add(id);
          const q = claim.queue;
          for (let i = 0; i < q.length; i += 2) {
            try {
              this.toHost(claim.ref, q[i], q[i + 1] as PendingAsk | undefined);
            } catch (err) {
              (q[i + 1] as PendingAsk | undefined)?.reject(err);
            }
          }
          return;
        }
        if (this.router.clock.now() + CLAIM_RETRY_MS >= deadlineMs) return this.fail(claim, id, new HandoffPendingError(id, `${holder} did not release it in time`));
        await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
        if (claim.aborted) return;
      }
    } catch (err) {
      if (!claim.aborted) this.fail(claim, id, err instanceof Error ? err : new Error(String(err)));
    }
  }
}
