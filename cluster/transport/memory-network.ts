/**
 * The wire of the in-process transport (`memory.ts`): pipes between `PeerLink`s inside one process.
 * Fault injection lives here: `partition` severs links across groups (and refuses new ones) until
 * `heal`; `drop` loses whole batches with a seeded probability; `delay` holds batches while keeping their order.
 * Time comes from the injected `Clock`, so @sinonjs/fake-timers drives it; zero-delay deliveries use microtasks.
 * The address of a memory node is its node id.
 */
import { systemClock, type Clock } from '../../actors/runtime/port.js';
import type { PeerLink } from './link.js';

/** Batches in transit or buffered at a paused receiver before a memory pipe reports backpressure. */
export const MEMORY_PIPE_WINDOW_BATCHES = 8;

/** One direction of a memory link. */
export class Pipe {
  private readonly buffered: Buffer[] = [];
  private inTransit = 0;
  private senderWaiting = false;
  paused = false;
  closed = false;

  constructor(
    private readonly net: MemoryNetwork,
    private readonly fromId: string,
    private readonly toId: string,
    private readonly sender: PeerLink,
    private readonly receiver: PeerLink,
  ) {}

  write(bytes: Buffer): boolean {
    if (this.closed || this.net.drops(this.fromId, this.toId)) return true;
    this.inTransit++;
    this.net.schedule(this.fromId, this.toId, () => {
      this.inTransit--;
      if (this.closed) return;
      this.buffered.push(bytes);
      this.pump();
    });
    const ok = this.inTransit + this.buffered.length < MEMORY_PIPE_WINDOW_BATCHES;
    if (!ok) this.senderWaiting = true;
    return ok;
  }

  pump(): void {
    while (!this.paused && !this.closed && this.buffered.length > 0) this.receiver.receive(this.buffered.shift()!);
    if (this.senderWaiting && !this.closed && this.inTransit + this.buffered.length < MEMORY_PIPE_WINDOW_BATCHES) {
      this.senderWaiting = false;
      this.sender.drained();
    }
  }
}

export interface MemoryNetworkOptions {
  clock?: Clock;
  /** Seed of the drop decisions, so a simulation replays exactly. */
  seed?: number;
}

/** What the network needs of a memory node. */
export interface MemoryNode {
  readonly nodeId: string;
  readonly isClosed: boolean;
  severUnreachable(): void;
  redialNow(): void;
}

export class MemoryNetwork {
  readonly clock: Clock;
  private readonly nodes = new Map<string, MemoryNode>();
  private groups: string[][] | undefined;
  private readonly dropRates = new Map<string, number>();
  private readonly delays = new Map<string, number>();
  /** Last scheduled arrival per direction: a shorter delay set later must not overtake earlier batches. */
  private readonly lastArrival = new Map<string, number>();
  private rng: number;

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock();
    this.rng = (options.seed ?? 1) >>> 0;
  }

  /** @internal Called by `MemoryTransport`'s constructor. */
  register(node: MemoryNode): void {
    if (this.nodes.has(node.nodeId)) throw new Error(`memory network already has node ${node.nodeId}`);
    this.nodes.set(node.nodeId, node);
  }

  /** Nodes in different groups cannot reach each other; nodes in no group reach everyone not partitioned away. */
  partition(...groups: string[][]): void {
    this.groups = groups;
    for (const t of this.nodes.values()) t.severUnreachable();
  }

  heal(): void {
    this.groups = undefined;
    for (const t of this.nodes.values()) t.redialNow();
  }

  /** Loses each batch from `fromId` to `toId` with probability `rate` (0 turns it off). */
  drop(fromId: string, toId: string, rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`drop rate must be in [0, 1], got ${rate}`);
    this.dropRates.set(`${fromId}>${toId}`, rate);
  }

  /** Holds each batch from `fromId` to `toId` for `delayMs` (0 turns it off); order is kept. */
  delay(fromId: string, toId: string, delayMs: number): void {
    if (!(delayMs >= 0)) throw new RangeError(`delayMs must be ≥ 0, got ${delayMs}`);
    this.delays.set(`${fromId}>${toId}`, delayMs);
  }

  reachable(a: string, b: string): boolean {
    if (!this.groups) return true;
    const ga = this.groups.findIndex((g) => g.includes(a));
    const gb = this.groups.findIndex((g) => g.includes(b));
    return ga === gb || ga === -1 || gb === -1;
  }

  /** @internal */
  node(id: string): MemoryNode | undefined {
    return this.nodes.get(id);
  }

  /** @internal */
  forget(id: string): void {
    this.nodes.delete(id);
  }

  /** @internal */
  drops(fromId: string, toId: string): boolean {
    const rate = this.dropRates.get(`${fromId}>${toId}`) ?? 0;
    return rate > 0 && this.random() < rate;
  }

  /** @internal */
  schedule(fromId: string, toId: string, deliver: () => void): void {
    const dir = `${fromId}>${toId}`;
    const delayMs = this.delays.get(dir) ?? 0;
    const now = this.clock.now();
    const at = Math.max(now + delayMs, this.lastArrival.get(dir) ?? 0);
    this.lastArrival.set(dir, at);
    if (at <= now) queueMicrotask(deliver);
    else this.clock.setTimeout(deliver, at - now);
  }

  /** mulberry32: small, seedable, good enough for fault decisions. */
  private random(): number {
    this.rng = (this.rng + 0x6d2b79f5) >>> 0;
    let t = this.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

