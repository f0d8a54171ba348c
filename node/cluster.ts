/**
 * The cluster part of a node: LMDB store (replicated to ring successors) → actor host → node links over grpc-js →
 * router (the cluster-wide ActorSystem) → SWIM membership, whose metadata carries this node's gRPC address so peers
 * can dial its links. Two steps, because the gRPC port must be bound (by the edge, which serves players on the same
 * grpc-js Server) before membership can advertise it:
 *   const node = createClusterNode(...); addToServer(node.links) before bind; await node.join(grpcAddress).
 */
import type { Server } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { Histogram } from 'hdr-histogram-js';
import { ActorHost, type Clock, type KindDef, type Logger } from '../actors/runtime/port.js';
import { lockDataDir, openLmdbStore, type BucketHistogram } from '../actors/store/index.js';
import { realClock } from '../cluster/membership/clock.js';
import { presetConfig, soonestDeathMs } from '../cluster/membership/config.js';
import { Membership, type Member } from '../cluster/membership/membership.js';
import { RefusalLog } from '../cluster/membership/refusals.js';
import type { Transport as GossipTransport } from '../cluster/membership/transport.js';
import { UdpTransport } from '../cluster/membership/udp_transport.js';
import type { Ring } from '../cluster/placement/ring.js';
import { ClusterRouter } from '../cluster/routing/router.js';
import { ReplicatingStore } from '../cluster/routing/replicating-store.js';
import { GrpcTransport, type GrpcTransportOptions } from '../cluster/transport/grpc.js';
import type { LinkTlsOptions } from '../cluster/transport/tls.js';
import type { NodeConfig } from '../ops/config/index.js';
import { DeferredMembers, joiner } from './join.js';

export { JoinTimeoutError, JOIN_RETRY_PAUSE_MS } from './join.js';

export interface ClusterNode {
  readonly id: string;
  readonly store: ReplicatingStore;
  /** The local LMDB store's commit latency, in µs, since it opened (see `LmdbSnapshotStore.commitLatencyUs`). */
  readonly storeCommitLatencyUs: Histogram;
  /** The same commits in fixed buckets (see `LmdbSnapshotStore.commitSeconds`), for Prometheus. */
  readonly storeCommitSeconds: BucketHistogram;
  readonly host: ActorHost;
  readonly router: ClusterRouter;
  readonly links: GrpcTransport;
  /** Set once `join` has run. */
  membership: Membership | undefined;
  /** Registers the node-to-node services on the node's grpc-js Server; call before it binds. */
  addToServer(server: Server): void;
  /**
   * Binds gossip, advertises `grpcAddress`, tries the seeds once and resolves to the gossip address. Routing starts
   * only once a seed admitted this node (at once without seeds): until then it keeps trying and serves nobody.
   */
  join(grpcAddress: string, extraSeeds?: string[]): Promise<string>;
  /** Resolves once this node is in a cluster and routing; rejects with JoinTimeoutError after `cluster.joinTimeoutMs`. */
  readonly joined: Promise<void>;
  members(): Member[];
  /** The ring the router routes with (the agreed members under quorum): what operators are shown. */
  ring(): Ring;
  /**
   * Graceful: hand every actor off, announce `left`, close links, snapshot active actors. LMDB stays open. Idempotent.
   * Rejects (`LeaveIncompleteError`), after all of that, when some stored actor could not be handed over.
   */
  leave(): Promise<void>;
  /** Closes LMDB, after `leave` and after the outbox relay has published what it can. */
  close(): Promise<void>;
}

/** How a node reaches its peers; each defaults to the production one (UDP gossip, grpc-js links). */
export interface NodeTransports {
  /** Binds the gossip socket. @default UdpTransport.bind */
  gossip?(host: string, port: number): Promise<GossipTransport>;
  /** Builds the node links from the options the config gives. @default new GrpcTransport(options) */
  links?(options: GrpcTransportOptions): GrpcTransport;
}

export interface ClusterNodeOptions {
  config: NodeConfig;
  logger: Logger;
  kinds: readonly KindDef<any, any, any, any, any>[];
  clock: Clock;
  tracer?: Tracer;
  /** Mutual TLS for node links against the cluster's CA (cluster.tls*); links in clear when absent. */
  linkTls?: LinkTlsOptions;
  transport?: NodeTransports;
  /** Opens the node's store in `node.dataDir`. @default openLmdbStore */
  openStore?: typeof openLmdbStore;
}

/** The stall limit in soonest deaths of the membership preset (`soonestDeathMs`): 2.7 s `local`, 5.1 s `lan`. @default 3 */
const STALL_LIMIT_DEATHS = 3;

export function createClusterNode({ config, logger, kinds, clock, tracer, linkTls, transport = {}, openStore = openLmdbStore }: ClusterNodeOptions): ClusterNode {
  // Before LMDB opens the folder: a second process on it exits with DataDirLockedError instead of sharing it.
  const dirLock = lockDataDir(config.node.dataDir);
  const lmdb = (() => {
    try {
      return openStore({ path: config.node.dataDir, mapSizeMb: config.store.mapSizeMb, auditRetentionDays: config.store.auditRetentionDays });
    } catch (err) {
      dirLock.release();
      throw err;
    }
  })();
  const store = new ReplicatingStore(lmdb);
  const host = new ActorHost({ store, clock, logger, tracer, kinds, ...config.runtime, ttlSweepIntervalMs: config.store.ttlSweepIntervalMs });
  const linkOptions: GrpcTransportOptions = { nodeId: config.node.id, clusterKey: config.cluster.key, clock, logger, ...(linkTls ? { tls: linkTls } : {}) };
  const links = transport.links?.(linkOptions) ?? new GrpcTransport(linkOptions);
  const members = new DeferredMembers((id) => links.lastHeardMs(id));
  const router = new ClusterRouter({
    nodeId: config.node.id,
    host,
    store,
    transport: links,
    members,
    resolvePeerAddress: (id) => members.membership?.members().find((m) => m.id === id)?.meta,
    kinds,
    durability: config.cluster.durability,
    replicationFactor: config.cluster.replicationFactor,
    handoffActorsPerSec: config.cluster.handoffActorsPerSec,
    maxForwardHops: config.cluster.maxForwardHops,
    clock,
    // A stall long enough for peers to have declared this node dead and moved its actors, with a margin: a node starved
    // of CPU for about the soonest death (a loaded machine) must not drop everything; a death declared sooner is heard.
    stallLimitMs: STALL_LIMIT_DEATHS * soonestDeathMs(presetConfig(config.cluster.membershipPreset)),
    // Two thirds of the soonest a majority can declare this node dead (600 ms `local`): cut off from a majority that
    // long, it stops handling before the majority can take its actors over (`MemberView.fenced`). Half fenced nodes
    // starved of CPU in the overload phase of bench load.
    leaseMs: Math.floor((soonestDeathMs(presetConfig(config.cluster.membershipPreset)) * 2) / 3),
    logger,
  });
  const entry = joiner({ joinTimeoutMs: config.cluster.joinTimeoutMs, logger, startRouting: () => router.start() });

  let leaving: Promise<void> | undefined;
  const leave = async () => {
    // A hand-off that left actors behind is reported after the node has still left and closed, not instead of it.
    const handoff = await router.leave().then(() => undefined, (err: unknown) => err);
    await members.membership?.leave();
    await router.close();
    await host.close();
    await links.close();
    if (handoff !== undefined) throw handoff;
  };
  const node: ClusterNode = {
    id: config.node.id,
    store,
    storeCommitLatencyUs: lmdb.commitLatencyUs,
    storeCommitSeconds: lmdb.commitSeconds,
    host,
    router,
    links,
    membership: undefined,
    joined: entry.joined,
    addToServer: (server) => links.addToServer(server),
    async join(grpcAddress, extraSeeds = []) {
      const gossip = await (transport.gossip ?? UdpTransport.bind)(config.node.host, config.node.gossipPort);
      const refusals = new RefusalLog(({ from, refused }) =>
        logger.warn({ event: 'gossip-refused', from, refused }, 'gossip packets refused: not signed with this cluster.key (a node of another cluster, or one with a mistyped key)'),
      );
      const membership = new Membership({
        id: config.node.id,
        clusterKey: config.cluster.key,
        config: presetConfig(config.cluster.membershipPreset),
        transport: gossip,
        clock: realClock(),
        meta: grpcAddress,
        onUnauthenticated: (from) => refusals.refused(from, Date.now()),
      });
      node.membership = members.membership = membership;
      membership.events.on((e) => logger.info({ event: 'member', member: e.id, state: e.type, incarnation: e.incarnation, addr: e.addr }, `member ${e.id} ${e.type}`));
      links.onPeerRefused((peer) => {
        if (membership.suspectUnreachable(peer)) logger.warn({ event: 'suspect', member: peer }, `member ${peer} refused its node link: suspected`);
      });
      membership.start();
      logger.info({ event: 'listening', gossipAddress: gossip.address, preset: config.cluster.membershipPreset }, 'gossip listening');
      // A seed list that names this node too (one list for every node) means the others.
      const seeds = [...new Set([...config.node.seeds, ...extraSeeds])].filter((s) => s !== gossip.address);
      await entry.join(membership, seeds);
      return gossip.address;
    },
    members: () => members.membership?.members() ?? [],
    ring: () => router.ring,
    leave: () => (leaving ??= leave()),
    async close() {
      try {
        await store.close();
      } finally {
        dirLock.release();
      }
    },
  };
  return node;
}
