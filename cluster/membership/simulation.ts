import { Membership } from './membership.js';
import { MemoryNetwork, type MemoryNetworkOptions } from './memory_transport.js';
import { SimScheduler } from './sim_scheduler.js';
import type { MembershipConfig } from './config.js';

export interface SimNode {
  id: string;
  address: string;
  membership: Membership;
}

export interface SimCluster {
  scheduler: SimScheduler;
  network: MemoryNetwork;
  nodes: SimNode[];
  /** True when every running node sees exactly the running nodes as alive (and nothing else as live). */
  converged(): boolean;
  /** Crash a node: no goodbye, its timers stop. */
  crash(node: SimNode): void;
  stop(): Promise<void>;
}

export interface SimClusterOptions extends MemoryNetworkOptions {
  n: number;
  seed: number;
  config: MembershipConfig;
  clusterKey?: string;
  /** Metadata of node i (e.g. its gRPC address); none when absent. */
  meta?: (i: number) => string;
}

/**
 * N memberships on one simulated network and clock; node i joins through node 0 (all at once, as a fleet
 * starting together does). Run time forward with `cluster.scheduler`.
 */
export function simCluster(options: SimClusterOptions): SimCluster {
  const scheduler = new SimScheduler(options.seed);
  const network = new MemoryNetwork(scheduler, options);
  const crashed = new Set<string>();
  const nodes: SimNode[] = [];
  for (let i = 0; i < options.n; i++) {
    const address = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:7946`;
    const id = `n${i}`;
    const membership = new Membership({
      id,
      clusterKey: options.clusterKey ?? 'simulation-cluster-key',
      config: options.config,
      transport: network.attach(address),
      clock: scheduler.clockFor(address),
      random: scheduler.random,
      meta: options.meta?.(i),
    });
    nodes.push({ id, address, membership });
  }
  for (const node of nodes) node.membership.start();
  for (const node of nodes.slice(1)) void node.membership.join([nodes[0]!.address]);
  const running = (): SimNode[] => nodes.filter((n) => !crashed.has(n.id));
  return {
    scheduler,
    network,
    nodes,
    converged() {
      const expected = running().map((n) => n.id).sort().join(',');
      return running().every(
        (n) =>
          n.membership
            .members()
            .filter((m) => m.state === 'alive')
            .map((m) => m.id)
            .sort()
            .join(',') === expected,
      );
    },
    crash(node) {
      crashed.add(node.id);
      network.crash(node.address);
    },
    async stop() {
      for (const n of nodes) await n.membership.stop();
    },
  };
}
