import type { Server } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { Histogram } from 'hdr-histogram-js';
import type { Clock, KindDef, Logger } from '../actors/runtime/types.js';
import { openLmdbStore } from '../actors/store/index.js';
import type { NodeConfig } from '../ops/config/index.js';
import { realClock } from './membership/clock.js';
import { presetConfig, soonestDeathMs } from './membership/config.js';
import { Membership, type Member } from './membership/membership.js';
import { UdpTransport } from './membership/udp_transport.js';
import { ClusterHost } from './routing/cluster-host.js';
import { ClusterRouter } from './routing/router.js';
import { ReplicatingStore } from './routing/replicating-store.js';
import type { MemberChange, MemberSource } from './routing/members.js';
import { GrpcTransport } from './transport/grpc.js';

/**
 * One cluster node, assembled: LMDB store (replicated to ring successors) → actor host → node links over grpc-js →
 * router (the cluster-wide ActorSystem) → SWIM membership, whose metadata carries this node's gRPC address so peers
 * can dial its links. Two steps, because the gRPC port must be bound (by the edge, which serves players on the same
 * grpc-js Server) before membership can advertise it:
 *   const node = createClusterNode(...); addToServer(node.links) before bind; await node.join(grpcAddress).
 */
export interface ClusterNode {
  readonly id: string;
  readonly store: ReplicatingStore;
  /** The local LMDB store's commit latency, in µs, since it opened (see `LmdbSnapshotStore.commitLatencyUs`). */
  readonly storeCommitLatencyUs: Histogram;
  readonly host: ClusterHost;
  readonly router: ClusterRouter;
  readonly links: GrpcTransport;
  /** Set once `join` has run. */
  membership: Membership | undefined;
  /** Registers the node-to-node services on the node's grpc-js Server; call before it binds. */
  addToServer(server: Server): void;
  /** Binds gossip, advertises `grpcAddress`, joins the seeds and starts routing. Resolves to the gossip address. */
  join(grpcAddress: string, extraSeeds?: string[]): Promise<string>;
  members(): Member[];
  /** Graceful: hand every actor off, announce `left`, close links, snapshot active actors. LMDB stays open. Idempotent. */
  leave(): Promise<void>;
  /** Closes LMDB, after `leave` and after the outbox relay has published what it can. */
  close(): Promise<void>;
}

export interface ClusterNodeOptions {
  config: NodeConfig;
  logger: Logger;
  kinds: readonly KindDef<any, any, any, any, any>[];
  clock: Clock;
  tracer?: Tracer;
}

/** The stall limit in soonest deaths of the membership preset (`soonestDeathMs`): 2.7 s `local`, 5.1 s `lan`. @default 3 */
const STALL_LIMIT_DEATHS = 3;

export function createClusterNode({ config, logger, kinds, clock, tracer }: ClusterNodeOptions): ClusterNode {
  const lmdb = openLmdbStore({ path: config.node.dataDir, mapSizeMb: config.store.mapSizeMb, auditRetentionDays: config.store.auditRetentionDays });
  const store = new ReplicatingStore(lmdb);
  const host = new ClusterHost({ store, clock, logger, tracer, kinds, ...config.runtime, ttlSweepIntervalMs: config.store.ttlSweepIntervalMs });
  const links = new GrpcTransport({ nodeId: config.node.id, clusterKey: config.cluster.key, logger });
  const members = new DeferredMembers();
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
    // A stall long enough for peers to have declared this node dead and moved its actors, with a margin: a node starved
    // of CPU for about the soonest death (a loaded machine) must not drop everything; a death declared sooner is heard.
    stallLimitMs: STALL_LIMIT_DEATHS * soonestDeathMs(presetConfig(config.cluster.membershipPreset)),
    logger,
  });

  let leaving: Promise<void> | undefined;
  const leave = async () => {
    await router.leave();
    await members.membership?.leave();
    await router.close();
    await host.close();
    await links.close();
  };
  const node: ClusterNode = {
    id: config.node.id,
    store,
    storeCommitLatencyUs: lmdb.commitLatencyUs,
    host,
    router,
    links,
    membership: undefined,
    addToServer: (server) => links.addToServer(server),
    async join(grpcAddress, extraSeeds = []) {
      const gossip = await UdpTransport.bind(config.node.host, config.node.gossipPort);
      const membership = new Membership({
        id: config.node.id,
        clusterKey: config.cluster.key,
        config: presetConfig(config.cluster.membershipPreset),
        transport: gossip,
        clock: realClock(),
        meta: grpcAddress,
      });
      node.membership = members.membership = membership;
      membership.events.on((e) => logger.info({ event: 'member', member: e.id, state: e.type, incarnation: e.incarnation, addr: e.addr }, `member ${e.id} ${e.type}`));
      membership.start();
      logger.info({ event: 'listening', gossipAddress: gossip.address, preset: config.cluster.membershipPreset }, 'gossip listening');
      const seeds = [...new Set([...config.node.seeds, ...extraSeeds])];
      if (seeds.length > 0) {
        const answered = await membership.join(seeds);
        if (answered === 0) logger.warn({ event: 'join-failed', seeds }, 'no seed answered; retrying with every push-pull round');
        else logger.info({ event: 'joined', seeds, answered }, 'joined');
      }
      router.start();
      return gossip.address;
    },
    members: () => members.membership?.members() ?? [],
    leave: () => (leaving ??= leave()),
    close: () => store.close(),
  };
  return node;
}

/** The router is built before membership exists (the gRPC port it advertises is not bound yet). */
class DeferredMembers implements MemberSource {
  membership: Membership | undefined;

  liveMemberIds(): string[] {
    return this.membership?.liveMembers().map((m) => m.id) ?? [];
  }

  onChange(listener: (change: MemberChange) => void): () => void {
    if (!this.membership) throw new Error('DeferredMembers.onChange before join: the router starts after membership');
    return this.membership.events.on((e) => listener({ id: e.id, state: e.type }));
  }

  onDeclaredDead(listener: () => void): () => void {
    if (!this.membership) throw new Error('DeferredMembers.onDeclaredDead before join: the router starts after membership');
    return this.membership.onDeclaredDead(listener);
  }
}
