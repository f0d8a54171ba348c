import type { AskResult, RoutingCluster } from '../../../../testing/routing/routing-cluster.js';

/** Per-counter bookkeeping of a load run: acknowledged increments, and those whose outcome is unknown (errors). */
export interface Tally {
  acked: Map<string, number>;
  failed: Map<string, number>;
  /** Failures by error name (or `exited`). */
  errorsByName: Map<string, number>;
  sent: number;
  /** Per counter, `activation@node=count` of each acknowledged increment in ack order (to diagnose a violation). */
  history: Map<string, string[]>;
}

/** Errors after which the increment was certainly not handled and may be retried. */
export const RETRIABLE_NAMES = new Set(['UnavailableError', 'ForwardLimitError', 'OwnerUnreachableError', 'HandoffPendingError']);

/**
 * Open-loop increments: `ratePerSec` asks spread over `keys`, entering round-robin through every live node, until
 * `stop()`. Resolves `done` once every ask sent has settled.
 */
export function runIncrements(cluster: RoutingCluster, keys: readonly string[], ratePerSec: number): { tally: Tally; stop(): Promise<void> } {
  const tally: Tally = { acked: new Map(), failed: new Map(), errorsByName: new Map(), sent: 0, history: new Map() };
  const inFlight = new Set<Promise<void>>();
  const tickMs = 20;
  const startedAt = performance.now();
  let i = 0;
  const timer = setInterval(() => {
    const live = cluster.entryNodes();
    if (live.length === 0) return;
    // Whatever is due by now, so a late tick (a busy machine) catches up instead of lowering the rate.
    const due = Math.floor(((performance.now() - startedAt) * ratePerSec) / 1000) - tally.sent;
    for (let n = 0; n < due; n++, i++) {
      const key = keys[i % keys.length]!;
      const node = live[i % live.length]!;
      tally.sent++;
      const p = cluster.ask(node, key, 'inc').then((r: AskResult & { exited?: boolean }) => {
        if (r.ok) {
          tally.acked.set(key, (tally.acked.get(key) ?? 0) + 1);
          const h = tally.history.get(key) ?? [];
          h.push(`${r.activation}=${r.count}`);
          tally.history.set(key, h);
        }
        else {
          tally.failed.set(key, (tally.failed.get(key) ?? 0) + 1);
          const name = r.exited ? 'exited' : r.name === 'RemoteActorError' ? `Remote:${r.code}` : String(r.name);
          tally.errorsByName.set(name, (tally.errorsByName.get(name) ?? 0) + 1);
        }
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, tickMs);
  return {
    tally,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

/** Reads a counter through `node`, retrying only errors after which the read was certainly not handled. */
export async function readCount(cluster: RoutingCluster, key: string, deadlineMs = 20_000): Promise<number> {
  const end = Date.now() + deadlineMs;
  let last: AskResult | undefined;
  while (Date.now() < end) {
    const live = cluster.entryNodes();
    last = await cluster.ask(live[Math.floor(Math.random() * live.length)]!, key, 'get');
    if (last.ok) return last.count!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`read ${key}: no successful get within ${deadlineMs} ms; last ${JSON.stringify(last)}`);
}

/** Every counter within [acked, acked + failed]; returns the violations as text (empty when none). */
export async function checkCounts(cluster: RoutingCluster, keys: readonly string[], tally: Tally): Promise<string[]> {
  const bad: string[] = [];
  for (let i = 0; i < keys.length; i += 20) {
    const chunk = keys.slice(i, i + 20);
    const counts = await Promise.all(chunk.map((k) => readCount(cluster, k)));
    chunk.forEach((key, j) => {
      const acked = tally.acked.get(key) ?? 0;
      const failed = tally.failed.get(key) ?? 0;
      const c = counts[j]!;
      if (c < acked || c > acked + failed) bad.push(`${key}: count ${c}, acked ${acked}, failed ${failed}; acks ${(tally.history.get(key) ?? []).join(' ')}`);
    });
  }
  return bad;
}
