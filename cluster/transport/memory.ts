/**
 * In-process `Transport` for deterministic simulation tests: the same `PeerLink` (queue, batching, asks,
 * backpressure) as the grpc transport, with the stream replaced by pipes inside one `MemoryNetwork`.
 * Fault injection lives on the network: `partition` severs links across groups (and refuses new ones) until
 * `heal`; `drop` loses whole batches with a seeded probability; `delay` holds batches while keeping their order.
 * Time comes from the injected `Clock`, so @sinonjs/fake-timers drives it; zero-delay deliveries use microtasks.
 * The address of a memory node is its node id.
 */
import type { Clock, Logger } from '../../actors/runtime/types.js';
import type { Envelope, Reply } from '../../proto/gen/cluster.js';
import { LinkClosedError } from './errors.js';
import { PeerLink, type Carrier } from './link.js';
import * as o from './options.js';
import type { EnvelopeHandler, LinkState, Transport, TransportMetrics } from './transport.js';

/** Batches in transit or buffered at a paused receiver before a memory pipe reports backpressure. */
export const MEMORY_PIPE_WINDOW_BATCHES = 8;

/** One direction of a memory link. */
class Pipe {
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

export class MemoryNetwork {
  readonly clock: Clock;
  private readonly nodes = new Map<string, MemoryTransport>();
  private groups: string[][] | undefined;
  private readonly dropRates = new Map<string, number>();
  private readonly delays = new Map<string, number>();
  /** Last scheduled arrival per direction: a shorter delay set later must not overtake earlier batches. */
  private readonly lastArrival = new Map<string, number>();
  private rng: number;

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? o.realClock;
    this.rng = (options.seed ?? 1) >>> 0;
  }

  transport(options: o.TransportBaseOptions): MemoryTransport {
    if (this.nodes.has(options.nodeId)) throw new Error(`memory network already has node ${options.nodeId}`);
    const t = new MemoryTransport(this, { clock: this.clock, ...options });
    this.nodes.set(options.nodeId, t);
    return t;
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
  node(id: string): MemoryTransport | undefined {
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

interface MemoryPeer {
  link: PeerLink;
  address: string | undefined;
  pipes: { out: Pipe; in: Pipe } | undefined;
  attempt: number;
  retryTimer: unknown;
  waiters: Array<{ resolve(): void; reject(err: Error): void }>;
}

export class MemoryTransport implements Transport {
  readonly nodeId: string;
  private readonly linkOptions: o.LinkOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly peers = new Map<string, MemoryPeer>();
  private readonly stateListeners = new Set<(nodeId: string, state: LinkState) => void>();
  private handler: EnvelopeHandler | undefined;
  private closed = false;

  constructor(private readonly net: MemoryNetwork, options: o.TransportBaseOptions) {
    this.nodeId = o.nodeIdOf('nodeId', options.nodeId);
    this.linkOptions = o.linkOptions(options);
    this.clock = options.clock ?? o.realClock;
    this.logger = options.logger ?? o.silentLogger;
  }

  connect(nodeId: string, address: string): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosedError(nodeId, 'transport closed'));
    const peer = this.peer(nodeId);
    peer.address = address;
    if (peer.link.isUp) return Promise.resolve();
    const up = new Promise<void>((resolve, reject) => peer.waiters.push({ resolve, reject }));
    this.dial(nodeId);
    return up;
  }

  async disconnect(nodeId: string): Promise<void> {
    const peer = this.peers.get(nodeId);
    if (!peer) return;
    this.peers.delete(nodeId);
    this.clock.clearTimeout(peer.retryTimer);
    peer.address = undefined;
    this.sever(nodeId, peer, 'disconnected', 'closed');
    for (const w of peer.waiters.splice(0)) w.reject(new LinkClosedError(nodeId, 'disconnected before the link came up'));
  }

  send(nodeId: string, envelope: Envelope): void {
    const peer = this.peers.get(nodeId);
    if (!peer) throw new LinkClosedError(nodeId, 'no link');
    peer.link.send(envelope);
  }

  ask(nodeId: string, envelope: Envelope, deadlineMs: number): Promise<Reply> {
    const peer = this.peers.get(nodeId);
    if (!peer) return Promise.reject(new LinkClosedError(nodeId, 'no link'));
    return peer.link.ask(envelope, deadlineMs);
  }

  onEnvelope(handler: EnvelopeHandler): void {
    this.handler = handler;
  }

  onLinkState(listener: (nodeId: string, state: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  linkState(nodeId: string): LinkState | undefined {
    return this.peers.get(nodeId)?.link.state;
  }

  metrics(): TransportMetrics {
    return { links: [...this.peers.values()].map((p) => p.link.metrics()), authFailures: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.peers.keys()].map((id) => this.disconnect(id)));
    this.net.forget(this.nodeId);
  }

  /** @internal Called by the network after a partition. */
  severUnreachable(): void {
    for (const [id, peer] of this.peers) {
      if (!this.net.reachable(this.nodeId, id) && peer.pipes) this.linkDown(id, peer, 'partitioned');
    }
  }

  /** @internal Called by the network after a heal. */
  redialNow(): void {
    for (const [id, peer] of this.peers) {
      if (!peer.pipes && peer.address !== undefined) {
        this.clock.clearTimeout(peer.retryTimer);
        peer.retryTimer = undefined;
        peer.attempt = 0;
        this.dial(id);
      }
    }
  }

  private peer(id: string): MemoryPeer {
    let peer = this.peers.get(id);
    if (!peer) {
      const link = new PeerLink(id, {
        options: this.linkOptions,
        clock: this.clock,
        logger: this.logger,
        handler: () => this.handler,
        onState: (state) => {
          for (const l of this.stateListeners) l(id, state);
        },
      });
      peer = { link, address: undefined, pipes: undefined, attempt: 0, retryTimer: undefined, waiters: [] };
      this.peers.set(id, peer);
    }
    return peer;
  }

  private dial(id: string): void {
    const peer = this.peers.get(id);
    if (!peer || peer.pipes || this.closed || peer.address === undefined) return;
    const far = this.net.node(peer.address);
    if (!far || far.closed || far.nodeId !== id || !this.net.reachable(this.nodeId, id)) {
      peer.link.fail(far ? 'unreachable' : `no memory node at ${peer.address}`, 'backoff');
      return this.scheduleRedial(id, peer);
    }
    far.acceptFrom(this, peer);
  }

  /** The far side of a dial: one link per pair, so an existing one is simply shared. */
  private acceptFrom(near: MemoryTransport, nearPeer: MemoryPeer): void {
    const farPeer = this.peer(near.nodeId);
    if (farPeer.pipes) return;
    this.clock.clearTimeout(farPeer.retryTimer);
    farPeer.retryTimer = undefined;
    const out = new Pipe(this.net, near.nodeId, this.nodeId, nearPeer.link, farPeer.link);
    const back = new Pipe(this.net, this.nodeId, near.nodeId, farPeer.link, nearPeer.link);
    nearPeer.pipes = { out, in: back };
    farPeer.pipes = { out: back, in: out };
    near.up(this.nodeId, nearPeer);
    this.up(near.nodeId, farPeer);
  }

  private up(id: string, peer: MemoryPeer): void {
    const pipes = peer.pipes!;
    peer.attempt = 0;
    const carrier: Carrier = {
      write: (bytes) => pipes.out.write(bytes),
      pause: () => {
        pipes.in.paused = true;
      },
      resume: () => {
        pipes.in.paused = false;
        pipes.in.pump();
      },
      close: () => {
        pipes.out.closed = true;
        pipes.in.closed = true;
      },
    };
    peer.link.attach(carrier);
    for (const w of peer.waiters.splice(0)) w.resolve();
  }

  /** Both ends go down, as when a TCP connection breaks. */
  private linkDown(id: string, peer: MemoryPeer, reason: string): void {
    this.sever(id, peer, reason, peer.address !== undefined ? 'backoff' : 'closed');
    if (peer.address !== undefined) this.scheduleRedial(id, peer);
  }

  private sever(id: string, peer: MemoryPeer, reason: string, next: LinkState): void {
    const hadPipes = peer.pipes !== undefined;
    peer.pipes = undefined;
    peer.link.fail(reason, next);
    if (!hadPipes) return;
    const far = this.net.node(id);
    const farPeer = far?.peers.get(this.nodeId);
    if (far && farPeer?.pipes) far.linkDown(this.nodeId, farPeer, `peer: ${reason}`);
  }

  private scheduleRedial(id: string, peer: MemoryPeer): void {
    if (this.closed || peer.retryTimer !== undefined) return;
    const delayMs = o.backoffMs(peer.attempt++, o.DEFAULT_RECONNECT_BASE_MS, o.DEFAULT_RECONNECT_MAX_MS, 0);
    peer.retryTimer = this.clock.setTimeout(() => {
      peer.retryTimer = undefined;
      this.dial(id);
    }, delayMs);
  }
}
