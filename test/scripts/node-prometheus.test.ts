/**
 * `GET /metrics` of a real `quarry node start` process in the Prometheus text format, scraped the way Prometheus
 * does it (`authorization: Bearer <ops.operatorToken>`) after a player's fixes and event stream went through the
 * node's gRPC edge: per-kind actor series, commit latency, open streams, fixes by status, members by state, the
 * outbox backlog and the event-loop lag. The JSON of before stays at `/metrics.json`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { HuntClient, type Event, type FixAck } from '../../proto/gen/hunt.js';
import { spawnNode, type LocalNode } from '../../scripts/sim/local-cluster.js';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text format's sample lines (`name{a="b",...} value`); comments and blank lines skipped. */
function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Fixes the test's player sends. */
const FIXES = 40;

describe('GET /metrics of a real node process (Prometheus text format)', function () {
  this.timeout(60_000);
  const config = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
  const operatorToken = 'prometheus-test-operator-token';
  let dir: string;
  let node: LocalNode;
  let client: HuntClient;
  let stream: ClientReadableStream<Event> | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-prometheus-'));
    node = await spawnNode({
      env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true', QUARRY_OPS_OPERATOR_TOKEN: operatorToken },
      settings: { 'node.id': 'prom1', 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, 'node.dataDir': join(dir, 'prom1'), 'cluster.membershipPreset': 'local', 'ops.logLevel': 'warn' },
    });
    client = new HuntClient(node.ready.grpcAddress, credentials.createInsecure());
  });
  after(async () => {
    stream?.cancel();
    client?.close();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const scrape = (authorization?: string) => fetch(`${node.ready.httpUrl}/metrics`, { headers: authorization ? { authorization } : {} });

  it('refuses a scrape without the operator credential (401, Bearer challenge), both formats', async () => {
    for (const path of ['/metrics', '/metrics.json']) {
      const res = await fetch(`${node.ready.httpUrl}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await fetch(`${node.ready.httpUrl}${path}`, { headers: { authorization: 'Bearer wrong-operator-token-000' } })).status, 401);
    }
  });

  it('exports actors per kind, commit latency, open streams, fixes by status, members, outbox backlog and event-loop lag', async () => {
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'prom-alice', ttlMinutes: 5 });
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    stream = client.subscribe({ playerId: 'prom-alice', afterSeq: 0, cursors: [] }, md);
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream!.once('metadata', () => resolve()));
    const fix = (seq: number, metadata: Metadata) =>
      new Promise<FixAck | Error>((resolve) =>
        client.reportFix({ playerId: 'prom-alice', clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, metadata, (err, ack) => resolve(err ?? ack!)),
      );
    // Enough messages that the host's 1-in-16 handler timing (HANDLER_TIMING_SAMPLE_EVERY) has samples.
    for (let seq = 1; seq <= FIXES; seq++) {
      const ack = await fix(seq, md);
      assert.ok(!(ack instanceof Error), `fix ${seq}: ${String(ack)}`);
    }
    const refused = await fix(FIXES + 1, new Metadata());
    assert.ok(refused instanceof Error, 'a fix without a token is refused');

    const res = await scrape(`Bearer ${operatorToken}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const series = parseExposition(await res.text());
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} series; names: ${[...new Set(series.map((s) => s.name))].filter((n) => n.startsWith('quarry')).join(', ')}`);
      assert.equal(found[0]!.labels.node, 'prom1', `${name} carries the node label`);
      return found[0]!.value;
    };

    assert.equal(one('quarry_actors_active', { kind: 'player' }), 1);
    assert.equal(one('quarry_actor_mailbox_depth', { kind: 'player' }), 0);
    const handled = one('quarry_actor_messages_handled_total', { kind: 'player' });
    assert.ok(handled >= FIXES, `player messages handled: ${handled}`);
    const kinds = series.filter((s) => s.name === 'quarry_actor_messages_handled_total').map((s) => s.labels.kind!);
    const allHandled = kinds.reduce((sum, kind) => sum + one('quarry_actor_messages_handled_total', { kind }), 0);
    const timed = kinds.reduce((sum, kind) => sum + one('quarry_actor_handler_seconds_count', { kind }), 0);
    assert.equal(timed, Math.floor(allHandled / 16), `1 in 16 of ${allHandled} handled messages timed`);
    for (const kind of kinds) {
      assert.equal(one('quarry_actor_handler_seconds_bucket', { kind, le: '+Inf' }), one('quarry_actor_handler_seconds_count', { kind }), kind);
      assert.ok(one('quarry_actor_handler_seconds_bucket', { kind, le: '0.00005' }) <= one('quarry_actor_handler_seconds_bucket', { kind, le: '1' }), kind);
    }
    assert.ok(one('quarry_actor_ask_seconds_count', { kind: 'player' }) >= FIXES);
    assert.ok(one('quarry_store_commit_seconds_count') >= 1);
    assert.ok(one('quarry_store_commit_seconds_sum') > 0);
    assert.equal(one('quarry_player_streams_open'), 1);
    assert.equal(one('quarry_player_calls_total', { method: 'ReportFix', status: 'OK' }), FIXES);
    assert.equal(one('quarry_player_calls_total', { method: 'ReportFix', status: 'UNAUTHENTICATED' }), 1);
    assert.equal(one('quarry_cluster_members', { state: 'alive' }), 1);
    assert.equal(one('quarry_cluster_members', { state: 'dead' }), 0);
    assert.ok(one('quarry_outbox_backlog_entries') >= 0);
    assert.ok(one('nodejs_eventloop_lag_seconds') >= 0);
    assert.ok(one('nodejs_eventloop_lag_p99_seconds') >= 0);

    const json = (await (await fetch(`${node.ready.httpUrl}/metrics.json`, { headers: { authorization: `Bearer ${operatorToken}` } })).json()) as { nodeId: string; storeCommits: number };
    assert.equal(json.nodeId, 'prom1');
    assert.ok(json.storeCommits >= 1);
  });
});
