/**
 * Subscribe on a real node assembled in-process (node/start-node.ts: LMDB in a temp dir, actor host with the
 * hunt, in-process notifier, native gRPC edge): a player already inside a building when the stream opens gets that
 * building's treasure-list changes from the start, whether their actor is active or passivated. The stream learns
 * the building from the player's session (a read-only profile ask that does not activate an idle player), not from
 * a replayed `buildingEntered`: the cursor here is past it.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { credentials, Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { HuntClient, type Event, type FixAck } from '../../proto/gen/hunt.js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from './support-real-node.js';

const SECRET = 'subscribe-test-token-secret-0123456789';
const WAIT_MS = 10_000;
/** Fixes at one beacon before the game's hysteresis makes it current (3 by default). */
const MAX_FIXES = 10;

describe('gateway Subscribe: a player already in a building (real node)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let node: QuarryNode;
  let client: HuntClient;
  const open: ClientReadableStream<Event>[] = [];

  before(async () => {
    ({ node, dataDir } = await startRealNode('subscribe', SECRET));
    client = new HuntClient(node.grpcAddress, credentials.createInsecure());
  });

  after(async () => {
    for (const s of open) s.cancel();
    client?.close();
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const md = async (playerId: string) => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 60 })}`);
    return m;
  };

  /** Sends fixes at `beaconId` until it is the player's current beacon (they are then inside its building). */
  async function walkTo(playerId: string, beaconId: string, txPowerDbm: number): Promise<FixAck> {
    const meta = await md(playerId);
    let ack: FixAck | undefined;
    for (let seq = 1; seq <= MAX_FIXES; seq++) {
      ack = await new Promise<FixAck>((resolve, reject) =>
        client.reportFix({ playerId, clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId, rssiDbm: txPowerDbm }], gps: undefined }, meta, (err, res) => (err ? reject(err) : resolve(res!))),
      );
      if (ack.closestBeaconId === beaconId) return ack;
    }
    throw new Error(`walk phase: ${playerId} expected current beacon ${beaconId} within ${MAX_FIXES} fixes, saw ${ack?.closestBeaconId}`);
  }

  /** Opens a stream; `until` resolves with the first event matching `want` (the waiter is set up before anything is sent). */
  async function subscribe(playerId: string, afterSeq: number, cursors: Array<{ channel: string; afterSeq: number }>) {
    const stream = client.subscribe({ playerId, afterSeq, cursors }, await md(playerId));
    open.push(stream);
    const seen: Event[] = [];
    const waiters: Array<{ want: (e: Event) => boolean; resolve: (e: Event) => void }> = [];
    stream.on('data', (e: Event) => {
      seen.push(e);
      for (const w of waiters.splice(0)) if (w.want(e)) w.resolve(e);
      else waiters.push(w);
    });
    stream.on('error', (err: Error & { code?: number }) => assert.equal(err.code, 1, `stream of ${playerId} failed: ${err.message}`));
    await new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
    const until = (phase: string, want: (e: Event) => boolean): Promise<Event> => {
      const hit = seen.find(want);
      if (hit) return Promise.resolve(hit);
      return new Promise<Event>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${phase}: ${playerId} expected a matching event within ${WAIT_MS} ms, saw ${JSON.stringify(seen.map((e) => [e.channel, e.seq, e.body?.$case]))}`)), WAIT_MS);
        waiters.push({ want, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    };
    return { stream, until, seen };
  }

  it('gets the building treasure-list changes from the start, with the player actor passivated or active', async () => {
    const hunt = node.game.hunt;
    const treasureOf = (beaconId: string) => hunt.beacons.find((b) => b.id === beaconId)!.rules.flatMap((r) => (r.type === 'treasure' ? [r.treasureId] : []))[0];
    const treasureBeacons = hunt.beacons.filter((b) => treasureOf(b.id) !== undefined);
    const home = treasureBeacons[0]!;
    const bobBeacon = treasureBeacons.find((b) => b.buildingId === home.buildingId && treasureOf(b.id) !== treasureOf(home.id))!;
    assert.ok(bobBeacon, `sample hunt has two beacons with different treasures in ${home.buildingId}`);
    const bobTreasure = treasureOf(bobBeacon.id)!;
    const building = `building.${home.buildingId}`;

    // alice and carol enter the building; each one's buildingEntered is on their personal channel.
    const personalSeq: Record<string, number> = {};
    for (const playerId of ['alice', 'carol']) {
      const first = await subscribe(playerId, 0, []);
      const entered = first.until(`enter phase (${playerId})`, (e) => e.body?.$case === 'buildingEntered');
      await walkTo(playerId, home.id, home.txPowerDbm);
      personalSeq[playerId] = (await entered).seq;
      first.stream.cancel();
    }
    // alice's actor leaves memory; carol's stays active.
    const playerKind = node.game.kinds.player;
    await node.cluster.host.deactivate({ kind: playerKind.name, key: 'alice' });
    assert.equal(node.cluster.host.metrics({ kind: playerKind.name, key: 'alice' }), undefined, 'alice passivated');
    assert.notEqual(node.cluster.host.metrics({ kind: playerKind.name, key: 'carol' }), undefined, 'carol active');

    // Resume past buildingEntered, with a cursor for the building channel (so the change below is retained for
    // the stream whenever it starts following), and no replay of the personal event that names the building.
    const streams = await Promise.all(['alice', 'carol'].map((p) => subscribe(p, personalSeq[p]!, [{ channel: building, afterSeq: 0 }])));
    const bobClaimSeen = streams.map((s, i) =>
      s.until(`treasure-list phase (${['alice', 'carol'][i]})`, (e) => e.channel === building && e.body?.$case === 'treasureList' && e.body.value.treasures.some((t) => t.id === bobTreasure && t.claimedBy.includes('bob'))),
    );
    assert.equal(node.cluster.host.metrics({ kind: playerKind.name, key: 'alice' }), undefined, 'opening the stream did not activate alice');

    await walkTo('bob', bobBeacon.id, bobBeacon.txPowerDbm);
    await Promise.all(bobClaimSeen);
    for (const [i, s] of streams.entries()) {
      assert.ok(!s.seen.some((e) => e.body?.$case === 'buildingEntered'), `${['alice', 'carol'][i]}: buildingEntered was not replayed`);
    }
    assert.equal(node.cluster.host.metrics({ kind: playerKind.name, key: 'alice' }), undefined, 'alice still not active');
  });
});
