/**
 * A node's `/metrics` in the Prometheus text format. The numbers are counted where they happen, cheaply (the actor
 * host's per-kind counters and fixed-bucket histograms, the store's commit histogram, the edge's call outcomes);
 * this module reads them at scrape time and lets prom-client write the exposition, next to prom-client's own
 * process metrics (CPU, memory, GC, event-loop lag). One registry per node: many nodes may share a process.
 */
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { HistogramSnapshot } from '../../actors/store/index.js';
import type { KindMetrics } from '../../actors/runtime/index.js';

/** What a node hands the registry; each is read once per scrape. */
export interface MetricSources {
  nodeId: string;
  kinds(): KindMetrics[];
  storeCommitSeconds(): HistogramSnapshot;
  openStreams(): number;
  playerCalls(): Array<{ method: string; status: string; calls: number }>;
  members(): Array<{ state: string }>;
  outboxBacklog(): number;
}

/** Member states always exported, with 0 when no member is in one, so a dashboard's series never disappear. */
const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;

/** Resolution of prom-client's event-loop delay monitor (`nodejs_eventloop_lag_*`), in ms. @default 10 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 10;

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A metric whose value is read at scrape time from counts kept elsewhere. prom-client's own Counter and Histogram
 * can only be incremented and observed (~1 µs an observation with labels, as much as a small actor handler), not
 * set from a reading; the registry formats any object with a name, help, type and `get()`.
 */
class ReadAtScrape {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter' | 'histogram',
    private readonly read: () => Sample[],
  ) {}

  get() {
    return { name: this.name, help: this.help, type: this.type, values: this.read(), aggregator: 'sum' as const };
  }

  reset(): void {}
}

/** The samples of one Prometheus histogram: cumulative `_bucket` series with `le`, then `_sum` and `_count`. */
export function histogramSamples(name: string, labels: Labels, h: HistogramSnapshot): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  h.bucketsS.forEach((le, i) => {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sumS });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

export function prometheusRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: sources.nodeId });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  const add = (name: string, help: string, type: 'gauge' | 'counter' | 'histogram', read: () => Sample[]) =>
    registry.registerMetric(new ReadAtScrape(name, help, type, read) as unknown as Metric);
  const perKind = (value: (k: KindMetrics) => number) => () => sources.kinds().map((k) => ({ labels: { kind: k.kind }, value: value(k) }));

  add('quarry_actors_active', 'Actors in memory on this node, per kind.', 'gauge', perKind((k) => k.activeActors));
  add('quarry_actor_mailbox_depth', 'Messages queued and not yet handled, summed over the kind\'s active actors.', 'gauge', perKind((k) => k.mailboxDepth));
  add('quarry_actor_messages_handled_total', 'Messages handled by actors of the kind on this node.', 'counter', perKind((k) => k.messagesHandled));
  add('quarry_actor_handler_seconds', 'Time a handler took, from its start to its end or its promise settling.', 'histogram', () =>
    sources.kinds().flatMap((k) => histogramSamples('quarry_actor_handler_seconds', { kind: k.kind }, k.handlerSeconds)));
  add('quarry_actor_ask_seconds', 'Time from an ask reaching the actor\'s node to its answer (after the commit it waits for) or failure.', 'histogram', () =>
    sources.kinds().flatMap((k) => histogramSamples('quarry_actor_ask_seconds', { kind: k.kind }, k.askSeconds)));
  add('quarry_store_commit_seconds', 'LMDB commit latency: from commit() to the transaction committed.', 'histogram', () =>
    histogramSamples('quarry_store_commit_seconds', {}, sources.storeCommitSeconds()));
  add('quarry_player_streams_open', 'Player event streams open on this node.', 'gauge', () => [{ labels: {}, value: sources.openStreams() }]);
  add('quarry_player_calls_total', 'Finished player calls by method and gRPC status (method="ReportFix": fixes by status).', 'counter', () =>
    sources.playerCalls().map((r) => ({ labels: { method: r.method, status: r.status }, value: r.calls })));
  add('quarry_cluster_members', 'Cluster members by state, as this node sees them.', 'gauge', () => {
    const members = sources.members();
    return MEMBER_STATES.map((state) => ({ labels: { state }, value: members.filter((m) => m.state === state).length }));
  });
  add('quarry_outbox_backlog_entries', 'Committed events not yet published to the notifier.', 'gauge', () => [{ labels: {}, value: sources.outboxBacklog() }]);
  return registry;
}
