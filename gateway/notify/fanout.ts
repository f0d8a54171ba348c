/**
 * Node-local fan-out shared by both notifiers: live events arrive once per node (`dispatch`) and are handed
 * to every local stream tapping that channel; a stream that sees a gap (`prevSeq` beyond what it delivered)
 * catches up through the `ChannelReader` (the backend's replay) while buffering live events, then goes on
 * live. So a broadcast costs one publish and one in-process loop per node, and replay touches the backend only
 * for the gap. See `notifier.ts` for the cursor contract.
 */
import { setMaxListeners } from 'node:events';
import { backoffDelayMs, pause } from './backoff.js';
import {
  buildingChannel,
  userChannel,
  type EventListener,
  type NotifyCursor,
  type NotifyEvent,
  type PlayerStream,
  type SubscribeOptions,
} from './notifier.js';

/** The backend's replay: events on `channel` with seq > afterSeq, oldest first, up to the newest stored now. */
export interface ChannelReader {
  readAfter(channel: string, afterSeq: number): Promise<NotifyEvent[]>;
  /** True when `seq` is beyond every seq the backend has assigned: its history was reset (restart, stream recreated). */
  isAhead(seq: number): Promise<boolean>;
}

export interface FanoutOptions {
  /** First retry delay of a failed catch-up, in milliseconds. */
  retryBaseMs: number;
  /** Longest retry delay of a failed catch-up, in milliseconds. */
  retryMaxMs: number;
  /** Live events buffered per channel while it catches up; beyond that the buffer is dropped and re-read. */
  catchUpBufferEvents: number;
  /**
   * Backend reads in flight at once; the rest queue. 20k players reconnecting together must not mean 20k
   * concurrent requests (they time out and retry, making the herd worse).
   */
  maxConcurrentReads: number;
}

interface Tap {
  readonly channel: string;
  readonly stream: LocalStream;
  /** False until the first event of a channel followed "live from now". */
  anchored: boolean;
  lastSeq: number;
  syncing: boolean;
  buffer: NotifyEvent[];
  overflowed: boolean;
  closed: boolean;
  /** The start came from a client cursor, which may predate a reset of the backend's history. */
  checkAhead: boolean;
}

export class LocalFanout {
  private readonly taps = new Map<string, Set<Tap>>();
  private readonly abort = new AbortController();
  private syncingTaps = 0;
  private readsInFlight = 0;
  private readonly readQueue: Array<() => void> = [];

  constructor(
    private readonly reader: ChannelReader,
    private readonly options: FanoutOptions,
  ) {}

  /** Number of open streams on this node. */
  get streamCount(): number {
    return this.taps.get('all')?.size ?? 0;
  }

  /** Channels of local streams currently catching up a gap or a resume (a gauge for the inspector and benchmarks). */
  get catchingUp(): number {
    return this.syncingTaps;
  }

  /** True when some local stream taps `channel` (so a backend can skip decoding what nobody here wants). */
  listens(channel: string): boolean {
    return this.taps.has(channel);
  }

  /** Hands one live event to every local stream on its channel. */
  dispatch(event: NotifyEvent): void {
    const set = this.taps.get(event.channel);
    if (!set) return;
    for (const tap of set) this.handle(tap, event);
  }

  subscribe(playerId: string, cursor: NotifyCursor, onEvent: EventListener, options: SubscribeOptions = {}): PlayerStream {
    const stream = new LocalStream(this, playerId, cursor, onEvent, options);
    const personal = userChannel(playerId);
    this.open(stream, personal, cursor[personal] ?? 0);
    this.open(stream, 'all', cursor['all']);
    return stream;
  }

  /**
   * Re-reads every channel with local streams (after a reconnect, live events may have been missed with no
   * later event to reveal the gap). One read per distinct channel, fed to its streams like live events.
   */
  async resyncAll(concurrency = 16): Promise<void> {
    const channels = [...this.taps.keys()];
    const worker = async (): Promise<void> => {
      for (let channel = channels.pop(); channel !== undefined && !this.abort.signal.aborted; channel = channels.pop()) {
        await this.resyncChannel(channel);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  close(): void {
    this.abort.abort();
    for (const next of this.readQueue.splice(0)) next();
    for (const set of this.taps.values()) for (const tap of set) tap.closed = true;
    this.taps.clear();
  }

  /** @internal used by LocalStream */
  open(stream: LocalStream, channel: string, afterSeq: number | undefined): Tap {
    const tap: Tap = { channel, stream, anchored: afterSeq !== undefined, lastSeq: afterSeq ?? 0, syncing: false, buffer: [], overflowed: false, closed: false, checkAhead: (afterSeq ?? 0) > 0 };
    let set = this.taps.get(channel);
    if (!set) this.taps.set(channel, (set = new Set()));
    set.add(tap);
    stream.taps.set(channel, tap);
    if (tap.anchored) void this.catchUp(tap);
    return tap;
  }

  /** @internal used by LocalStream */
  shut(tap: Tap): void {
    tap.closed = true;
    tap.stream.taps.delete(tap.channel);
    const set = this.taps.get(tap.channel);
    set?.delete(tap);
    if (set?.size === 0) this.taps.delete(tap.channel);
  }

  private handle(tap: Tap, event: NotifyEvent): void {
    if (tap.closed) return;
    if (tap.syncing) {
      if (tap.buffer.length < this.options.catchUpBufferEvents) tap.buffer.push(event);
      else tap.overflowed = true;
      return;
    }
    if (!tap.anchored) {
      tap.anchored = true;
      this.deliver(tap, event);
      return;
    }
    if (event.seq <= tap.lastSeq) return;
    if (event.prevSeq <= tap.lastSeq) {
      this.deliver(tap, event);
      return;
    }
    tap.buffer.push(event);
    void this.catchUp(tap);
  }

  private deliver(tap: Tap, event: NotifyEvent): void {
    tap.lastSeq = event.seq;
    try {
      tap.stream.onEvent(event);
    } catch (err) {
      tap.stream.options.onError?.(err as Error);
    }
  }

  private async catchUp(tap: Tap): Promise<void> {
    tap.syncing = true;
    this.syncingTaps++;
    try {
      await this.readGap(tap);
    } finally {
      this.syncingTaps--;
    }
  }

  private async readGap(tap: Tap): Promise<void> {
    if (tap.checkAhead) {
      tap.checkAhead = false;
      // A cursor from before a reset would silently swallow every new event (seq <= cursor): start over.
      const ahead = await this.limited(() => this.reader.isAhead(tap.lastSeq)).catch(() => false);
      if (ahead) tap.lastSeq = 0;
    }
    for (;;) {
      // Live events buffered before this read starts were stored before it: the read covers them.
      const before = tap.buffer.length;
      const events = await this.readWithRetry(tap.channel, tap.lastSeq, (err) => tap.stream.options.onError?.(err), () => tap.closed);
      if (tap.closed || !events) return;
      for (const event of events) if (event.seq > tap.lastSeq) this.deliver(tap, event);
      if (tap.overflowed) {
        tap.overflowed = false;
        tap.buffer = [];
        continue;
      }
      // A covered live event the read did not return is gone from the backend (retention), and so is its
      // predecessor: deliver it anyway, its prevSeq beyond the cursor tells the client. Re-reading would find
      // nothing new, forever.
      for (const event of tap.buffer.splice(0, before)) if (event.seq > tap.lastSeq) this.deliver(tap, event);
      break;
    }
    tap.syncing = false;
    const buffered = tap.buffer;
    tap.buffer = [];
    for (const event of buffered) this.handle(tap, event);
  }

  private async resyncChannel(channel: string): Promise<void> {
    const set = this.taps.get(channel);
    if (!set) return;
    let from = Infinity;
    for (const tap of set) if (tap.anchored) from = Math.min(from, tap.lastSeq);
    if (from === Infinity) return;
    const events = await this.readWithRetry(channel, from, () => {}, () => this.abort.signal.aborted);
    if (!events) return;
    for (const event of events) for (const tap of this.taps.get(channel) ?? []) if (tap.anchored) this.handle(tap, event);
  }

  /** Reads until it succeeds (a backend outage delays a catch-up, never ends the stream); undefined if stopped. */
  private async readWithRetry(channel: string, afterSeq: number, onError: (err: Error) => void, stopped: () => boolean): Promise<NotifyEvent[] | undefined> {
    for (let attempt = 0; !stopped(); attempt++) {
      try {
        // A stream that closed while queued for a slot gives it up without reading.
        return await this.limited(async () => (stopped() ? undefined : this.reader.readAfter(channel, afterSeq)));
      } catch (err) {
        if (stopped()) return undefined;
        onError(err as Error);
        await pause(backoffDelayMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs), this.abort.signal);
      }
    }
    return undefined;
  }

  private async limited<T>(read: () => Promise<T>): Promise<T> {
    if (this.readsInFlight >= this.options.maxConcurrentReads) await new Promise<void>((resolve) => this.readQueue.push(resolve));
    else this.readsInFlight++;
    try {
      return await read();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.readQueue.shift();
      if (next) next();
      else this.readsInFlight--;
    }
  }
}

class LocalStream implements PlayerStream {
  readonly taps = new Map<string, Tap>();
  private building: Tap | undefined;
  private closed = false;

  constructor(
    private readonly fanout: LocalFanout,
    readonly playerId: string,
    private readonly initialCursor: NotifyCursor,
    readonly onEvent: EventListener,
    readonly options: SubscribeOptions,
  ) {}

  follow(buildingId: string, afterSeq?: number): void {
    if (this.closed) return;
    const channel = buildingChannel(buildingId);
    if (this.building?.channel === channel) return;
    this.unfollow();
    this.building = this.fanout.open(this, channel, afterSeq ?? this.initialCursor[channel]);
  }

  unfollow(): void {
    if (this.building) this.fanout.shut(this.building);
    this.building = undefined;
  }

  cursor(): NotifyCursor {
    const out: Record<string, number> = {};
    for (const tap of this.taps.values()) if (tap.anchored) out[tap.channel] = tap.lastSeq;
    return out;
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tap of [...this.taps.values()]) this.fanout.shut(tap);
    this.building = undefined;
  }
}
