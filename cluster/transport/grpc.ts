/**
 * `Transport` over grpc-js: one long-lived `ClusterLink.Link` bidi stream per peer pair, whichever side dialled.
 *
 * When two nodes dial each other at once, the lower node id (string order) keeps its outbound stream: it refuses
 * the higher node's inbound with ALREADY_EXISTS while its own dial is pending or up, and the higher node adopts
 * the lower node's inbound and cancels its own dial. Queued envelopes stay queued through that switch because no
 * stream carried them yet. Nothing is written on a stream, and nothing read from it is delivered, until both
 * sides proved they hold the cluster key (`auth.ts`).
 */
import * as grpc from '@grpc/grpc-js';
import { silentLogger, systemClock, type Clock, type Logger } from '../../actors/runtime/port.js';
import { ClusterLinkService, type Envelope, type HandoffAck, type HandoffChunk, type Reply } from '../../proto/gen/cluster.js';
import { NonceCache } from './auth.js';
import { HandoffFailedError, LinkAuthError, LinkClosedError, TransportConfigError } from './errors.js';
import { LinkFaults } from './faults.js';
import { acceptHeaders, dialHeaders, verifyAccept, verifyDial, type AuthContext } from './grpc-auth.js';
import { sendHandoff, serveHandoff } from './grpc-handoff.js';
import { PeerLink, type Carrier } from './link.js';
import type { Peer, Stream } from './grpc-peer.js';
import { probeRefused } from './port-probe.js';
import * as o from './options.js';
import { linkChannelCredentials, tlsChannelOptions, type LinkTlsOptions } from './tls.js';
import type { EnvelopeHandler, HandoffHandler, LinkState, Transport, TransportMetrics } from './transport.js';

export interface GrpcTransportOptions extends o.TransportBaseOptions {
  /** The cluster key (`cluster.key`); never logged. */
  clusterKey: string;
  tls?: LinkTlsOptions;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  authMaxSkewMs?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

const identity = (b: Buffer): Buffer => b;

/** `ClusterLinkService` with the Link method passing raw bytes: `link.ts` frames batches itself (`frames.ts`). */
export const RAW_CLUSTER_LINK_SERVICE = {
  link: { ...ClusterLinkService.link, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  handoff: ClusterLinkService.handoff,
} as const;


export class GrpcTransport implements Transport {
  readonly nodeId: string;
  /** Test hook: block links to and from given node ids (see `faults.ts`). */
  readonly faults = new LinkFaults();
  private readonly auth: AuthContext;
  private readonly linkOptions: o.LinkOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly reconnectBaseMs: number;
  private readonly reconnectMaxMs: number;
  private readonly credentials: grpc.ChannelCredentials;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly peers = new Map<string, Peer>();
  private readonly stateListeners = new Set<(nodeId: string, state: LinkState) => void>();
  private readonly refusedListeners = new Set<(nodeId: string) => void>();
  private handler: EnvelopeHandler | undefined;
  private handoffHandler: HandoffHandler | undefined;
  private authFailures = 0;
  private closed = false;

  constructor(options: GrpcTransportOptions) {
    this.nodeId = o.nodeIdOf('nodeId', options.nodeId);
    if (typeof options.clusterKey !== 'string' || options.clusterKey.length < 16) {
      throw new TransportConfigError('clusterKey', 'must be a string of at least 16 characters');
    }
    this.linkOptions = o.linkOptions(options);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    this.reconnectBaseMs = o.positiveInt('reconnectBaseMs', options.reconnectBaseMs, o.DEFAULT_RECONNECT_BASE_MS);
    this.reconnectMaxMs = o.positiveInt('reconnectMaxMs', options.reconnectMaxMs, o.DEFAULT_RECONNECT_MAX_MS);
    if (this.reconnectMaxMs < this.reconnectBaseMs) throw new TransportConfigError('reconnectMaxMs', `must be ≥ reconnectBaseMs (${this.reconnectBaseMs})`);
    const maxSkewMs = o.positiveInt('authMaxSkewMs', options.authMaxSkewMs, o.DEFAULT_AUTH_MAX_SKEW_MS);
    this.auth = {
      nodeId: this.nodeId,
      key: options.clusterKey,
      clock: this.clock,
      logger: this.logger,
      maxSkewMs,
      nonces: new NonceCache(maxSkewMs),
      refused: () => this.authFailures++,
    };
    this.credentials = linkChannelCredentials(options.tls);
    this.channelOptions = {
      ...tlsChannelOptions(options.tls),
      'grpc.keepalive_time_ms': o.positiveInt('keepaliveTimeMs', options.keepaliveTimeMs, o.DEFAULT_KEEPALIVE_TIME_MS),
      'grpc.keepalive_timeout_ms': o.positiveInt('keepaliveTimeoutMs', options.keepaliveTimeoutMs, o.DEFAULT_KEEPALIVE_TIMEOUT_MS),
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_send_message_length': this.linkOptions.maxQueuedBytes,
      'grpc.max_receive_message_length': this.linkOptions.maxQueuedBytes,
      // Two nodes that know each other's address must each get their own channel, not a shared subchannel pool.
      'grpc.use_local_subchannel_pool': 1,
    };
    this.faults.onChange((blocked) => this.applyFaults(blocked));
  }

  /** Largest message a peer's link may send (its queue bound): the server hosting `ClusterLink` must accept it. */
  get maxMessageBytes(): number {
    return this.linkOptions.maxQueuedBytes;
  }

  /** Hosts `ClusterLink` on the node's one grpc-js server (beside the player service). */
  addToServer(server: grpc.Server): void {
    server.addService(RAW_CLUSTER_LINK_SERVICE as unknown as grpc.ServiceDefinition, {
      link: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.accept(call),
      handoff: (call: grpc.ServerReadableStream<HandoffChunk, HandoffAck>, callback: grpc.sendUnaryData<HandoffAck>) =>
        serveHandoff(this.auth, { handler: () => this.handoffHandler, unavailable: (id) => this.unavailable(id) }, call, callback),
    });
  }

  connect(nodeId: string, address: string): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosedError(nodeId, 'transport closed'));
    const peer = this.peer(nodeId);
    if (peer.address !== address) {
      peer.client?.close();
      peer.client = undefined;
      peer.address = address;
    }
    if (peer.link.isUp) return Promise.resolve();
    const up = new Promise<void>((resolve, reject) => peer.waiters.push({ resolve, reject }));
    if (!peer.dialing) {
      this.clock.clearTimeout(peer.retryTimer);
      peer.retryTimer = undefined;
      this.dial(peer);
    }
    return up;
  }

  async disconnect(nodeId: string): Promise<void> {
    const peer = this.peers.get(nodeId);
    if (!peer) return;
    this.peers.delete(nodeId);
    peer.address = undefined;
    this.clock.clearTimeout(peer.retryTimer);
    const dialing = peer.dialing;
    peer.dialing = undefined;
    dialing?.cancel();
    peer.current = undefined;
    peer.link.fail('disconnected', 'closed');
    peer.client?.close();
    for (const w of peer.waiters.splice(0)) w.reject(new LinkClosedError(nodeId, 'disconnected before the link came up'));
  }

  send(nodeId: string, envelope: Envelope): void {
    const peer = this.peers.get(nodeId);
    if (!peer) throw new LinkClosedError(nodeId, this.closed ? 'transport closed' : 'no link');
    peer.link.send(envelope);
  }

  ask(nodeId: string, envelope: Envelope, deadlineMs: number): Promise<Reply> {
    const peer = this.peers.get(nodeId);
    if (!peer) return Promise.reject(new LinkClosedError(nodeId, this.closed ? 'transport closed' : 'no link'));
    return peer.link.ask(envelope, deadlineMs);
  }

  /** When bytes last came from `nodeId` over its link (ms on this transport's clock), or undefined. */
  lastHeardMs(nodeId: string): number | undefined {
    return this.peers.get(nodeId)?.heardAtMs || undefined;
  }

  onEnvelope(handler: EnvelopeHandler): void {
    this.handler = handler;
  }

  handoff(nodeId: string, chunks: AsyncIterable<HandoffChunk> | Iterable<HandoffChunk>, deadlineMs: number): Promise<HandoffAck> {
    const peer = this.peers.get(nodeId);
    const unavailable = this.unavailable(nodeId) ?? (peer?.address === undefined ? 'no address for the peer (connect first)' : undefined);
    if (unavailable) return Promise.reject(new LinkClosedError(nodeId, unavailable));
    if (this.faults.isBlackholed(nodeId)) {
      return new Promise((_, reject) => {
        this.clock.setTimeout(() => reject(new HandoffFailedError(nodeId, 'DEADLINE_EXCEEDED', 'blackholed by fault injection')), Math.max(0, deadlineMs - this.clock.now()));
      });
    }
    peer!.client ??= new grpc.Client(peer!.address!, this.credentials, this.channelOptions);
    return sendHandoff(this.auth, peer!.client, nodeId, chunks, deadlineMs);
  }

  onHandoff(handler: HandoffHandler): void {
    this.handoffHandler = handler;
  }

  onLinkState(listener: (nodeId: string, state: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** `listener` hears of a lost peer whose link port refuses connections (its process is gone; see `port-probe.ts`): */
  /** membership suspects it at once rather than wait for probes that loop lag makes inconclusive. */
  onPeerRefused(listener: (nodeId: string) => void): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  linkState(nodeId: string): LinkState | undefined {
    return this.peers.get(nodeId)?.link.state;
  }

  /** Diagnostics (tests, inspector): which side dialled the current stream and whether a dial is under way. */
  linkInfo(nodeId: string): { direction: 'outbound' | 'inbound' | undefined; dialing: boolean; redialScheduled: boolean } | undefined {
    const peer = this.peers.get(nodeId);
    if (!peer) return undefined;
    return {
      direction: peer.current ? (peer.outbound ? 'outbound' : 'inbound') : undefined,
      dialing: peer.dialing !== undefined,
      redialScheduled: peer.retryTimer !== undefined,
    };
  }

  metrics(): TransportMetrics {
    return { links: [...this.peers.values()].map((p) => p.link.metrics()), authFailures: this.authFailures };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.peers.keys()].map((id) => this.disconnect(id)));
  }

  private peer(id: string): Peer {
    let peer = this.peers.get(id);
    if (!peer) {
      const link: PeerLink = new PeerLink(id, {
        options: this.linkOptions,
        clock: this.clock,
        logger: this.logger,
        handler: () => this.handler,
        onState: (state) => {
          for (const l of this.stateListeners) l(id, state);
        },
      });
      peer = { id, link, address: undefined, client: undefined, dialing: undefined, current: undefined, outbound: false, attempt: 0, retryTimer: undefined, waiters: [], probing: false, heardAtMs: 0 };
      this.peers.set(id, peer);
    }
    return peer;
  }

  private dial(peer: Peer): void {
    if (this.closed || peer.address === undefined || peer.dialing || peer.current) return;
    if (this.faults.isBlocked(peer.id)) return this.failAttempt(peer, 'blocked by fault injection');
    peer.link.connecting();
    peer.client ??= new grpc.Client(peer.address, this.credentials, this.channelOptions);
    const { metadata, nonce } = dialHeaders(this.auth, peer.id);
    const call = peer.client.makeBidiStreamRequest(ClusterLinkService.link.path, identity, identity, metadata);
    peer.dialing = call;
    call.on('metadata', (headers: grpc.Metadata) => {
      if (peer.dialing !== call) return;
      peer.dialing = undefined;
      const reason = verifyAccept(this.auth, peer.id, nonce, headers);
      if (reason) {
        call.cancel();
        return this.failAttempt(peer, 'peer failed authentication', new LinkAuthError(peer.id, reason));
      }
      this.adopt(peer, call, true);
    });
    call.on('error', (err: grpc.ServiceError) => this.ended(peer, call, `stream failed: ${err.code} ${err.details}`, err));
    call.on('end', () => this.ended(peer, call, 'peer ended the stream'));
  }

  private accept(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const proof = verifyDial(this.auth, call.metadata, call.getPeer());
    if (!proof) return refuse(call, grpc.status.UNAUTHENTICATED, 'cluster key proof refused');
    const unavailable = this.unavailable(proof.from);
    if (unavailable) return refuse(call, grpc.status.UNAVAILABLE, unavailable);
    const peer = this.peer(proof.from);
    if (this.nodeId < peer.id && (peer.dialing || (peer.current && peer.outbound))) {
      return refuse(call, grpc.status.ALREADY_EXISTS, 'the lower node id keeps its outbound link');
    }
    const dialing = peer.dialing;
    peer.dialing = undefined;
    dialing?.cancel();
    this.clock.clearTimeout(peer.retryTimer);
    peer.retryTimer = undefined;
    if (peer.current) {
      peer.current = undefined;
      peer.link.fail('replaced by a newer link from the peer', 'connecting');
    }
    call.sendMetadata(acceptHeaders(this.auth, proof));
    call.on('error', (err) => this.ended(peer, call, `stream failed: ${err.message}`, err));
    call.on('cancelled', () => this.ended(peer, call, 'peer cancelled the stream'));
    call.on('end', () => this.ended(peer, call, 'peer ended the stream'));
    this.adopt(peer, call, false);
  }

  private unavailable(peerId: string): string | undefined {
    if (this.closed) return 'transport closed';
    if (this.faults.isBlocked(peerId)) return 'blocked by fault injection';
    return undefined;
  }

  private adopt(peer: Peer, call: Stream, outbound: boolean): void {
    peer.current = call;
    peer.outbound = outbound;
    peer.attempt = 0;
    call.on('data', (bytes: Buffer) => {
      if (peer.current !== call || this.faults.isBlackholed(peer.id)) return;
      peer.heardAtMs = this.clock.now();
      peer.link.receive(bytes);
    });
    call.on('drain', () => {
      if (peer.current === call) peer.link.drained();
    });
    const carrier: Carrier = {
      write: (bytes) => (this.faults.isBlackholed(peer.id) ? true : call.write(bytes)),
      pause: () => call.pause(),
      resume: () => call.resume(),
      close: () => {
        if ('cancel' in call) call.cancel();
        else if (!call.destroyed && !call.writableEnded) refuse(call, grpc.status.UNAVAILABLE, 'link closed');
      },
    };
    peer.link.attach(carrier);
    for (const w of peer.waiters.splice(0)) w.resolve();
  }

  private ended(peer: Peer, call: Stream, reason: string, cause?: unknown): void {
    if (peer.dialing === call) {
      peer.dialing = undefined;
      const code = (cause as grpc.ServiceError | undefined)?.code;
      if (code === grpc.status.UNAUTHENTICATED) this.logger.warn({ peer: peer.id, address: peer.address }, 'link refused by peer: it did not accept our cluster key proof');
      else this.logger.debug({ peer: peer.id, address: peer.address, reason }, 'link dial failed');
      if (code === grpc.status.ALREADY_EXISTS) {
        // The peer's own dial wins the race; keep the queue and look again later in case it never arrives.
        return peer.current ? undefined : this.scheduleRedial(peer);
      }
      if (code !== grpc.status.UNAUTHENTICATED) this.probePort(peer);
      return this.failAttempt(peer, reason, cause);
    }
    if (peer.current !== call) return;
    peer.current = undefined;
    const redial = peer.address !== undefined && !this.closed;
    peer.link.fail(reason, redial ? 'backoff' : 'closed', cause);
    if (redial) {
      this.probePort(peer);
      this.scheduleRedial(peer);
    }
  }

  /** After a lost link or a failed dial: one TCP connect to the peer's port; a refusal is reported (`onPeerRefused`). */
  private probePort(peer: Peer): void {
    if (peer.probing || this.closed || this.refusedListeners.size === 0 || peer.address === undefined || this.faults.isBlocked(peer.id)) return;
    const address = peer.address;
    peer.probing = true;
    probeRefused(address, (refused) => {
      peer.probing = false;
      if (!refused || this.closed || peer.current !== undefined) return;
      this.logger.info({ peer: peer.id, address }, 'link port of a lost peer refused a connection');
      for (const l of this.refusedListeners) l(peer.id);
    });
  }

  private failAttempt(peer: Peer, reason: string, cause?: unknown): void {
    peer.link.fail(reason, 'backoff', cause);
    this.scheduleRedial(peer);
  }

  private scheduleRedial(peer: Peer): void {
    if (this.closed || peer.address === undefined || peer.retryTimer !== undefined) return;
    const delayMs = o.backoffMs(peer.attempt++, this.reconnectBaseMs, this.reconnectMaxMs, Math.random());
    peer.retryTimer = this.clock.setTimeout(() => {
      peer.retryTimer = undefined;
      this.dial(peer);
    }, delayMs);
  }

  private applyFaults(blocked: ReadonlySet<string>): void {
    for (const peer of this.peers.values()) {
      if (blocked.has(peer.id)) {
        const dialing = peer.dialing;
        peer.dialing = undefined;
        dialing?.cancel();
        if (peer.current || peer.link.state === 'connecting') {
          peer.current = undefined;
          this.failAttempt(peer, 'blocked by fault injection');
        }
      } else if (peer.link.state === 'backoff' && peer.address !== undefined) {
        // Healed: redial now rather than after a backoff that grew during the partition.
        this.clock.clearTimeout(peer.retryTimer);
        peer.retryTimer = undefined;
        peer.attempt = 0;
        this.dial(peer);
      }
    }
  }
}

function refuse(call: grpc.ServerDuplexStream<Buffer, Buffer>, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}
