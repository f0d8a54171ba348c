/**
 * In-process `Transport` for deterministic simulation tests: the same `PeerLink` (queue, batching, asks,
 * backpressure) as the grpc transport, with the stream replaced by pipes of a `MemoryNetwork`
 * (`memory-network.ts`, which also holds the fault injection: partition, drop, delay).
 * The address of a memory node is its node id.
 */
import { silentLogger, type Clock, type Logger } from '../../actors/runtime/port.js';
import { HandoffChunk, type Envelope, type HandoffAck, type Reply } from '../../proto/gen/cluster.js';
import { HandoffFailedError, LinkClosedError } from './errors.js';
import { PeerLink, type Carrier } from './link.js';
import { MemoryNetwork, Pipe } from './memory-network.js';
import * as o from './options.js';
import type { EnvelopeHandler, HandoffHandler, LinkState, Transport, TransportMetrics } from './transport.js';

export { MemoryNetwork, MEMORY_PIPE_WINDOW_BATCHES, type MemoryNetworkOptions } from './memory-network.js';

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
  private handoffHandler: HandoffHandler | undefined;
  private closed = false;

  /** Joins `net`; the clock defaults to the network's. */
  constructor(private readonly net: MemoryNetwork, options: o.TransportBaseOptions) {
    this.nodeId = o.nodeIdOf('nodeId', options.nodeId);
    this.linkOptions = o.linkOptions(options);
    this.clock = options.clock ?? net.clock;
    this.logger = options.logger ?? silentLogger;
    net.register(this);
  }

  get isClosed(): boolean {
    return this.closed;
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

  /** Each chunk is copied through its protobuf encoding, as on the wire; a partition mid-stream fails both sides. */
  async handoff(nodeId: string, chunks: AsyncIterable<HandoffChunk> | Iterable<HandoffChunk>, deadlineMs: number): Promise<HandoffAck> {
    const far = this.far(nodeId);
    if (!this.peers.get(nodeId)?.pipes || !far) throw new LinkClosedError(nodeId, 'no link');
    const handler = far.handoffHandler;
    if (!handler) throw new HandoffFailedError(nodeId, 'FAILED_PRECONDITION', 'node has no handoff handler yet');
    const copies = async function* (self: MemoryTransport): AsyncIterable<HandoffChunk> {
      for await (const chunk of chunks) {
        if (!self.net.reachable(self.nodeId, nodeId)) throw new LinkClosedError(nodeId, 'partitioned during handoff');
        yield HandoffChunk.decode(HandoffChunk.encode(chunk).finish());
      }
    };
    let timer: unknown;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new HandoffFailedError(nodeId, 'DEADLINE_EXCEEDED', 'handoff did not finish by its deadline')), Math.max(0, deadlineMs - this.clock.now()));
    });
    try {
      const accepted = await Promise.race([handler(copies(this), this.nodeId), deadline]);
      return { accepted };
    } catch (err) {
      if (err instanceof LinkClosedError || err instanceof HandoffFailedError) throw err;
      const code = (err as { code?: unknown })?.code;
      throw new HandoffFailedError(nodeId, typeof code === 'string' && code ? code : 'HANDLER_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  onHandoff(handler: HandoffHandler): void {
    this.handoffHandler = handler;
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
    const far = this.far(peer.address);
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
        // Closed by the link itself (not through `sever`): take both ends down as a broken stream would.
        if (peer.pipes === pipes) this.linkDown(id, peer, 'closed by the link');
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
    const far = this.far(id);
    const farPeer = far?.peers.get(this.nodeId);
    if (far && farPeer?.pipes) far.linkDown(this.nodeId, farPeer, `peer: ${reason}`);
  }

  private far(id: string): MemoryTransport | undefined {
    const node = this.net.node(id);
    return node instanceof MemoryTransport ? node : undefined;
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
