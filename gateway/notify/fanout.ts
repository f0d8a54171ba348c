/**
 * Node-local fan-out shared by both notifiers: live events arrive once per node (`dispatch`) and are handed
 * to every local stream tapping that channel; a stream that sees a gap (`prevSeq` beyond what it delivered)
 * catches up through the `ChannelReader` (the backend's replay) while buffering live events, then goes on
 * live. So a broadcast costs one publish and one in-process loop per node, and replay touches the backend only
 * for the gap. See `notifier.ts` for the cursor contract.
 */
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

const ANCHORED = 1;
const SYNCING = 2;
const OVERFLOWED = 4;
const CLOSED = 8;
const CHECK_AHEAD = 16;

/**
 * One stream's subscription to one channel. The five flags share one small integer behind accessors: five boolean
 * fields made a tap 96 B, and every open stream has two or three (bench gateway holds 20k streams).
 */
class Tap {
  private flags: number;
  lastSeq: number;
  /** Live events held while catching up; {@link NO_EVENTS} (shared, frozen) while there are none. */
  buffer: NotifyEvent[] = NO_EVENTS;

  constructor(
    readonly channel: string,
    readonly stream: LocalStream,
    afterSeq: number | undefined,
  ) {
    this.lastSeq = afterSeq ?? 0;
    this.flags = (afterSeq !== undefined ? ANCHORED : 0) | ((afterSeq ?? 0) > 0 ? CHECK_AHEAD : 0);
  }

  /** False until the first event of a channel followed "live from now". */
  get anchored(): boolean {
    return (this.flags & ANCHORED) !== 0;
  }
  set anchored(on: boolean) {
    this.set(ANCHORED, on);
  }
  get syncing(): boolean {
    return (this.flags & SYNCING) !== 0;
  }
  set syncing(on: boolean) {
    this.set(SYNCING, on);
  }
  get overflowed(): boolean {
    return (this.flags & OVERFLOWED) !== 0;
  }
  set overflowed(on: boolean) {
    this.set(OVERFLOWED, on);
  }
  get closed(): boolean {
    return (this.flags & CLOSED) !== 0;
  }
  set closed(on: boolean) {
    this.set(CLOSED, on);
  }
  /** The start came from a client cursor, which may predate a reset of the backend's history. */
  get checkAhead(): boolean {
    return (this.flags & CHECK_AHEAD) !== 0;
  }
  set checkAhead(on: boolean) {
    this.set(CHECK_AHEAD, on);
  }

  private set(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

/**
 * Shared empty buffer: most taps never buffer anything, so an array per tap would be memory per open stream for
 * nothing (bench gateway: 20k open streams). Replaced by a real array on the first push.
 */
const NO_EVENTS: NotifyEvent[] = Object.freeze([]) as unknown as NotifyEvent[];

function push(tap: Tap, event: NotifyEvent): void {
  if (tap.buffer === NO_EVENTS) tap.buffer = [event];
  else tap.buffer.push(event);
}

/** Takes the first `n` buffered events out. */
function takeBuffered(tap: Tap, n: number): NotifyEvent[] {
  if (n === 0) return NO_EVENTS;
  if (n === tap.buffer.length) {
    const all = tap.buffer;
    tap.buffer = NO_EVENTS;
    return all;
  }
  return tap.buffer.splice(0, n);
}

/**
 * The taps of one channel: the tap itself while it is the only one (every personal channel, usually), a Set from
 * the second on. A Set per personal channel was ~200 B per open stream.
 */
type ChannelTaps = Tap | Set<Tap>;

function* each(taps: ChannelTaps): Iterable<Tap> {
  if (taps instanceof Set) yield* taps;
  else yield taps;
}

export class LocalFanout {
  private readonly taps = new Map<string, ChannelTaps>();
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
    const all = this.taps.get('all');
    return all === undefined ? 0 : all instanceof Set ? all.size : 1;
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
    const taps = this.taps.get(event.channel);
    if (taps === undefined) return;
    if (!(taps instanceof Set)) return this.handle(taps, event);
    for (const tap of taps) this.handle(tap, event);
  }

  subscribe(playerId: string, cursor: NotifyCursor, onEvent: EventListener, options: SubscribeOptions = {}): PlayerStream {
    const stream = new LocalStream(this, playerId, cursor, onEvent, options);
    const personal = userChannel(playerId);
    stream.personal = this.open(stream, personal, cursor[personal] ?? 0);
    stream.all = this.open(stream, 'all', cursor['all']);
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
    for (const taps of this.taps.values()) for (const tap of each(taps)) tap.closed = true;
    this.taps.clear();
  }

  /** @internal used by LocalStream */
  open(stream: LocalStream, channel: string, afterSeq: number | undefined): Tap {
    const tap = new Tap(channel, stream, afterSeq);
    const taps = this.taps.get(channel);
    if (taps === undefined) this.taps.set(channel, tap);
    else if (taps instanceof Set) taps.add(tap);
    else this.taps.set(channel, new Set([taps, tap]));
    if (tap.anchored) void this.catchUp(tap);
    return tap;
  }

  /** @internal used by LocalStream */
  shut(tap: Tap): void {
    tap.closed = true;
    const taps = this.taps.get(tap.channel);
    if (taps === tap) this.taps.delete(tap.channel);
    else if (taps instanceof Set) {
      taps.delete(tap);
      // Back to a lone tap, so a channel's memory does not keep the Set of its busiest moment.
      if (taps.size === 1) this.taps.set(tap.channel, taps.values().next().value!);
      else if (taps.size === 0) this.taps.delete(tap.channel);
    }
  }

  private handle(tap: Tap, event: NotifyEvent): void {
    if (tap.closed) return;
    if (tap.syncing) {
      if (tap.buffer.length < this.options.catchUpBufferEvents) push(tap, event);
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
    push(tap, event);
    void this.catchUp(tap);
  }

  private deliver(tap: Tap, event: NotifyEvent): void {
    tap.lastSeq = event.seq;
    try {
      tap.stream.onEvent(event);
    } catch (err) {
      tap.stream.options.onError?.(err as Error, tap.stream.playerId);
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
      const events = await this.readWithRetry(tap.channel, tap.lastSeq, (err) => tap.stream.options.onError?.(err, tap.stream.playerId), () => tap.closed);
      if (tap.closed || !events) return;
      for (const event of events) if (event.seq > tap.lastSeq) this.deliver(tap, event);
      if (tap.overflowed) {
        tap.overflowed = false;
        tap.buffer = NO_EVENTS;
        continue;
      }
      // A covered live event the read did not return is gone from the backend (retention), and so is its
      // predecessor: deliver it anyway, its prevSeq beyond the cursor tells the client. Re-reading would find
      // nothing new, forever.
      for (const event of takeBuffered(tap, before)) if (event.seq > tap.lastSeq) this.deliver(tap, event);
      break;
    }
    tap.syncing = false;
    const buffered = tap.buffer;
    tap.buffer = NO_EVENTS;
    for (const event of buffered) this.handle(tap, event);
  }

  private async resyncChannel(channel: string): Promise<void> {
    const taps = this.taps.get(channel);
    if (taps === undefined) return;
    let from = Infinity;
    for (const tap of each(taps)) if (tap.anchored) from = Math.min(from, tap.lastSeq);
    if (from === Infinity) return;
    const events = await this.readWithRetry(channel, from, () => {}, () => this.abort.signal.aborted);
    if (!events) return;
    for (const event of events) {
      const now = this.taps.get(channel);
      if (now !== undefined) for (const tap of each(now)) if (tap.anchored) this.handle(tap, event);
    }
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

/** Whether a cursor names any building: only then does a stream keep it (for `follow`). */
function hasBuildingCursor(cursor: NotifyCursor): boolean {
  for (const channel in cursor) if (channel.startsWith('building.')) return true;
  return false;
}

/** One stream's three taps as fields (a Map per stream cost ~200 B; bench gateway holds 20k streams). */
class LocalStream implements PlayerStream {
  personal: Tap | undefined;
  all: Tap | undefined;
  private building: Tap | undefined;
  private closed = false;
  /** The client's cursor, kept only when it has building entries `follow` may resume from. */
  private readonly buildingCursor: NotifyCursor | undefined;

  constructor(
    private readonly fanout: LocalFanout,
    readonly playerId: string,
    initialCursor: NotifyCursor,
    readonly onEvent: EventListener,
    readonly options: SubscribeOptions,
  ) {
    this.buildingCursor = hasBuildingCursor(initialCursor) ? initialCursor : undefined;
  }

  follow(buildingId: string, afterSeq?: number): void {
    if (this.closed) return;
    const channel = buildingChannel(buildingId);
    if (this.building?.channel === channel) return;
    this.unfollow();
    this.building = this.fanout.open(this, channel, afterSeq ?? this.buildingCursor?.[channel]);
  }

  unfollow(): void {
    if (this.building) this.fanout.shut(this.building);
    this.building = undefined;
  }

  cursor(): NotifyCursor {
    const out: Record<string, number> = {};
    for (const tap of [this.personal, this.all, this.building]) if (tap !== undefined && tap.anchored) out[tap.channel] = tap.lastSeq;
    return out;
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tap of [this.personal, this.all, this.building]) if (tap !== undefined) this.fanout.shut(tap);
    this.personal = this.all = this.building = undefined;
  }
}
