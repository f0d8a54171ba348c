import type { Logger } from '../actors/runtime/types.js';
import type { NodeConfig } from '../ops/config/index.js';
import { realClock } from './membership/clock.js';
import { presetConfig } from './membership/config.js';
import { Membership, type Member } from './membership/membership.js';
import { UdpTransport } from './membership/udp_transport.js';

export interface NodeHandle {
  readonly id: string;
  /** `host:port` the gossip socket is bound to (resolved when node.gossipPort is 0). */
  readonly gossipAddress: string;
  readonly membership: Membership;
  members(): Member[];
  /** Tells the cluster we leave (peers see `left` at once), then stops. */
  leave(): Promise<void>;
  /** Stops without a goodbye. */
  stop(): Promise<void>;
}

/** One Quarry node. So far: membership over UDP gossip. Runtime, routing and gateway are wired in here later. */
export async function startNode(config: NodeConfig, logger: Logger, extraSeeds: string[] = []): Promise<NodeHandle> {
  const transport = await UdpTransport.bind(config.node.host, config.node.gossipPort);
  const membership = new Membership({
    id: config.node.id,
    clusterKey: config.cluster.key,
    config: presetConfig(config.cluster.membershipPreset),
    transport,
    clock: realClock(),
  });
  membership.events.on((e) => logger.info({ event: 'member', member: e.id, state: e.type, incarnation: e.incarnation, addr: e.addr }, `member ${e.id} ${e.type}`));
  membership.start();
  logger.info({ event: 'listening', gossipAddress: transport.address, preset: config.cluster.membershipPreset }, 'gossip listening');

  const seeds = [...new Set([...config.node.seeds, ...extraSeeds])];
  if (seeds.length > 0) {
    const answered = await membership.join(seeds);
    if (answered === 0) logger.warn({ event: 'join-failed', seeds }, 'no seed answered; retrying with every push-pull round');
    else logger.info({ event: 'joined', seeds, answered }, 'joined');
  }

  return {
    id: config.node.id,
    gossipAddress: transport.address,
    membership,
    members: () => membership.members(),
    leave: () => membership.leave(),
    stop: () => membership.stop(),
  };
}
