/**
 * One peer link, independent of what carries its bytes: the bounded send queue, batching per event-loop
 * turn, write backpressure, the table of pending asks, inbound dispatch with a bound on unsettled handlers,
 * and the metrics. `grpc.ts` and `memory.ts` plug a `Carrier` in when a stream is up and call `fail` when it dies.
 */
import type { Clock, Logger } from '../../actors/runtime/port.js';
import type { Envelope, Reply } from '../../proto/gen/cluster.js';
import { AskTimeoutError, LinkClosedError, LinkOverloadedError } from './errors.js';
import { Fifo, decodeBatch, envelopeFrame, frameWriter, joinFrames, replyFrame } from './frames.js';
import type { LinkOptions } from './options.js';
import type { EnvelopeHandler, LinkMetrics, LinkState } from './transport.js';

/** An up, authenticated stream to the peer. */
export interface Carrier {
  /** Writes one batch; false means "wait for `PeerLink.drained()` before writing more". */
  write(bytes: Buffer): boolean;
  /** Stop / restart delivering inbound batches (the peer's writes then back up). */
  pause(): void;
  resume(): void;
  /** Ends the stream; idempotent. */
  close(): void;
}

interface PendingAsk {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: unknown;
}

type ItemKind = 'tell' | 'ask' | 'reply';

interface Item {
  frame: Uint8Array;
  kind: ItemKind;
}

export interface PeerLinkDeps {
  readonly options: LinkOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  handler(): EnvelopeHandler | undefined;
  onState(state: LinkState): void;
}

export class PeerLink {
  private stateNow: LinkState = 'connecting';
  private carrier: Carrier | undefined;
  /** Bumped on every attach/fail, so a reply computed for a dead stream is not sent on a new one. */
  private epoch = 0;
  private readonly queue = new Fifo<Item>();
  private readonly writer = frameWriter();
  private queuedBytes = 0;
  private flushScheduled = false;
  private waitingDrain = false;
  private paused = false;
  private inboundInFlight = 0;
  private readonly pending = new Map<number, PendingAsk>();
  /** Correlation ids count up from 1 for the life of the link (across reconnects); 2^53 asks is centuries at 1M/s. */
  private nextCorrelationId = 1;
  private readonly totals = {
    bytesSent: 0, bytesReceived: 0, batchesSent: 0, batchesReceived: 0, envelopesSent: 0,
    envelopesReceived: 0, overloadRejections: 0, droppedOnClose: 0, connects: 0,
  };

  constructor(readonly peerId: string, private readonly deps: PeerLinkDeps) {}

  get state(): LinkState {
    return this.stateNow;
  }

  get isUp(): boolean {
    return this.stateNow === 'up';
  }

  send(envelope: Envelope): void {
    if (envelope.correlationId !== 0) throw new TypeError(`send: correlationId must be 0 for a tell, got ${envelope.correlationId}`);
    this.requireOpen();
    this.enqueue(envelopeFrame(envelope, this.writer), 'tell');
  }

  ask(envelope: Envelope, deadlineMs: number): Promise<Reply> {
    try {
      this.requireOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.nextCorrelationId++;
    const nowMs = this.deps.clock.now();
    if (deadlineMs <= nowMs) return Promise.reject(new AskTimeoutError(this.peerId, id, deadlineMs));
    envelope.correlationId = id;
    envelope.deadlineMs = deadlineMs;
    let frame: Uint8Array;
    try {
      frame = envelopeFrame(envelope, this.writer);
      this.checkRoom(frame.length);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        if (this.pending.delete(id)) reject(new AskTimeoutError(this.peerId, id, deadlineMs));
      }, deadlineMs - nowMs);
      this.pending.set(id, { resolve, reject, timer });
      this.enqueue(frame, 'ask');
    });
  }

  attach(carrier: Carrier): void {
    this.carrier = carrier;
    this.epoch++;
    this.waitingDrain = false;
    this.paused = false;
    this.totals.connects++;
    this.setState('up');
    this.flush();
  }

  /** The stream died (or is being replaced): fail pending asks, drop unwritten tells and replies, move to `next`. */
  fail(reason: string, next: LinkState, cause?: unknown): void {
    const carrier = this.carrier;
    this.carrier = undefined;
    this.epoch++;
    this.waitingDrain = false;
    carrier?.close();
    for (const item of this.queue.clear()) if (item.kind !== 'ask') this.totals.droppedOnClose++;
    this.queuedBytes = 0;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      this.deps.clock.clearTimeout(p.timer);
      p.reject(new LinkClosedError(this.peerId, reason, { cause }));
    }
    this.setState(next);
  }

  /** A new attempt is under way; `send`/`ask` queue again. */
  connecting(): void {
    if (this.stateNow !== 'up') this.setState('connecting');
  }

  drained(): void {
    this.waitingDrain = false;
    this.flush();
  }

  receive(bytes: Uint8Array): void {
    this.totals.bytesReceived += bytes.length;
    this.totals.batchesReceived++;
    const batch = decodeBatch(bytes);
    for (const reply of batch.replies) {
      const p = this.pending.get(reply.correlationId);
      if (!p) continue; // timed out already, or an answer to an ask of a dead stream
      this.pending.delete(reply.correlationId);
      this.deps.clock.clearTimeout(p.timer);
      p.resolve(reply);
    }
    for (const envelope of batch.envelopes) {
      this.totals.envelopesReceived++;
      this.dispatch(envelope);
    }
  }

  metrics(): LinkMetrics {
    return {
      nodeId: this.peerId,
      state: this.stateNow,
      queued: this.queue.length,
      queuedBytes: this.queuedBytes,
      asksInFlight: this.pending.size,
      ...this.totals,
    };
  }

  private dispatch(envelope: Envelope): void {
    const correlationId = envelope.correlationId;
    const epoch = this.epoch;
    const handler = this.deps.handler();
    if (!handler) {
      if (correlationId !== 0) this.reply(epoch, { correlationId, payload: Buffer.alloc(0), errorCode: 'NO_HANDLER', errorMessage: 'node has no envelope handler yet' });
      return;
    }
    this.inboundInFlight++;
    this.updateInboundPause();
    let result: Promise<Reply | void>;
    try {
      result = handler(envelope, this.peerId);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (reply) => {
        this.settled();
        if (correlationId !== 0) {
          this.reply(epoch, reply ? { ...reply, correlationId } : { correlationId, payload: Buffer.alloc(0), errorCode: '', errorMessage: '' });
        }
      },
      (err: unknown) => {
        this.settled();
        if (correlationId === 0) {
          this.deps.logger.warn({ err, peer: this.peerId, target: envelope.target }, 'tell handler failed');
          return;
        }
        const code = (err as { code?: unknown })?.code;
        this.reply(epoch, {
          correlationId,
          payload: Buffer.alloc(0),
          errorCode: typeof code === 'string' && code ? code : 'HANDLER_FAILED',
          errorMessage: err instanceof Error ? err.message : String(err),
        });
      },
    );
  }

  private settled(): void {
    this.inboundInFlight--;
    this.updateInboundPause();
  }

  private reply(epoch: number, reply: Reply): void {
    const carrier = this.carrier;
    if (epoch !== this.epoch || !carrier) {
      this.totals.droppedOnClose++;
      return;
    }
    const frame = replyFrame(reply, this.writer);
    if (this.queuedBytes + frame.length > 2 * this.deps.options.maxQueuedBytes) {
      // The peer keeps sending but does not read our replies: break the link rather than grow without bound.
      // Closing the carrier makes the transport see the stream end and fail the link as for any lost stream.
      this.totals.droppedOnClose++;
      this.deps.logger.warn({ peer: this.peerId, queuedBytes: this.queuedBytes }, 'closing link: peer is not reading replies');
      carrier.close();
      return;
    }
    this.enqueue(frame, 'reply');
  }

  private requireOpen(): void {
    if (this.stateNow !== 'up' && this.stateNow !== 'connecting') {
      throw new LinkClosedError(this.peerId, `link is ${this.stateNow}`);
    }
  }

  private checkRoom(bytes: number): void {
    const { maxQueuedEnvelopes, maxQueuedBytes } = this.deps.options;
    if (this.queue.length >= maxQueuedEnvelopes || this.queuedBytes + bytes > maxQueuedBytes) {
      this.totals.overloadRejections++;
      throw new LinkOverloadedError(this.peerId, this.queue.length, this.queuedBytes, `${maxQueuedEnvelopes} envelopes, ${maxQueuedBytes} bytes`);
    }
  }

  /** Asks were checked before their promise was made; replies may pass the limit up to twice (see `reply`). */
  private enqueue(frame: Uint8Array, kind: ItemKind): void {
    if (kind === 'tell') this.checkRoom(frame.length);
    this.queue.push({ frame, kind });
    this.queuedBytes += frame.length;
    if (!this.carrier || this.waitingDrain) return;
    if (this.queuedBytes >= this.deps.options.maxBatchBytes) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const carrier = this.carrier;
    const budget = this.deps.options.maxBatchBytes;
    while (carrier && !this.waitingDrain && this.queue.length > 0) {
      const frames: Uint8Array[] = [];
      let bytes = 0;
      let envelopes = 0;
      while (this.queue.length > 0 && (frames.length === 0 || bytes + this.queue.peek()!.frame.length <= budget)) {
        const item = this.queue.shift()!;
        frames.push(item.frame);
        bytes += item.frame.length;
        if (item.kind !== 'reply') envelopes++;
      }
      this.queuedBytes -= bytes;
      this.totals.bytesSent += bytes;
      this.totals.batchesSent++;
      this.totals.envelopesSent += envelopes;
      if (!carrier.write(joinFrames(frames, bytes))) this.waitingDrain = true;
    }
  }

  private updateInboundPause(): void {
    const carrier = this.carrier;
    if (!carrier) return;
    // Only our own slow handlers stop reading. Stopping because our writes are blocked would let two nodes that
    // both wait for the other to read deadlock; the reply backlog is bounded in `reply` instead.
    const full = this.inboundInFlight >= this.deps.options.maxInboundInFlight;
    if (full && !this.paused) {
      this.paused = true;
      carrier.pause();
    } else if (!full && this.paused && this.inboundInFlight <= this.deps.options.maxInboundInFlight / 2) {
      this.paused = false;
      carrier.resume();
    }
  }

  private setState(state: LinkState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.deps.onState(state);
  }
}
