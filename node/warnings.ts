/** Start-up warnings about a node's configuration that are only visible once it has peers. */
import type { Logger } from '../actors/runtime/types.js';
import type { ClusterNode } from './cluster.js';

/** Events of actors on other nodes never reach players connected here without NATS: say so, once, loudly. */
export function warnInProcessNotifier(cluster: ClusterNode, logger: Logger): void {
  const warn = (member: string) =>
    logger.warn({ event: 'notifier-misconfigured', member }, 'several nodes but notify.backend is in-process: players only get events of actors on the node they are connected to; set notify.backend=nats');
  const other = cluster.members().find((m) => m.id !== cluster.id && m.state === 'alive');
  if (other) return warn(other.id);
  const off = cluster.membership!.events.on((e) => {
    if (e.type !== 'alive' || e.id === cluster.id) return;
    warn(e.id);
    off();
  });
}
