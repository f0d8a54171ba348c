import assert from 'node:assert/strict';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Event, Fix, FixAck, HuntService, SubscribeRequest } from '../../proto/gen/hunt.js';
import { FIXES_PER_BEACON, Route, closedLoop, fixToEvent, rawHuntLoad, type HuntLoad } from '../../scripts/bench/gateway-load.js';
import { bareHuntImplementation } from '../../scripts/bench/gateway-support.js';
import { FrameReader, GrpcCallError, RawGrpcClient } from '../../scripts/bench/raw-grpc.js';
import { runLatencyLoadProcess } from '../../scripts/bench/latency-process.js';

const BEACONS = [
  { id: 'b1', txPowerDbm: -59 },
  { id: 'b2', txPowerDbm: -59 },
  { id: 'b3', txPowerDbm: -59 },
];

function frame(bytes: number[]): Buffer {
  const b = Buffer.alloc(5 + bytes.length);
  b.writeUInt32BE(bytes.length, 1);
  b.set(bytes, 5);
  return b;
}

/**
 * An in-memory HuntLoad for the phase's own logic: each stream first replays an award (at beacon b1, seq 5) the
 * player earned before, then every fix at a beacon's first step earns an award whose event comes `eventAfterMs` later.
 */
function replayingLoad(route: Route, eventAfterMs: number): HuntLoad & { afterSeqs: number[] } {
  const listeners: Array<(e: Event) => void> = [];
  const afterSeqs: number[] = [];
  let seq = 5;
  const award = (beaconId: string, s: number): Event => ({ seq: s, atMs: 0, channel: 'user.p', prevSeq: 0, body: { $case: 'award', value: { beaconId, points: 10, reason: 'visit' } } });
  return {
    afterSeqs,
    send: async (p) => {
      const fix = route.next(p, `p${p}`);
      const beaconId = fix.readings[0]!.beaconId;
      const awards = fix.clientSeq % FIXES_PER_BEACON === 0 ? [{ beaconId, points: 10, reason: 'visit' }] : [];
      if (awards.length > 0) setTimeout(() => listeners[p]!(award(beaconId, ++seq)), eventAfterMs);
      return { accepted: true, closestBeaconId: beaconId, score: 0, awards, achievements: [], claimedTreasures: [] };
    },
    openStream: (p, afterSeq, onEvent, opened) => {
      afterSeqs[p] = afterSeq;
      listeners[p] = onEvent;
      setTimeout(() => {
        opened();
        if (afterSeq < 5) onEvent(award('b1', 5));
      }, 1);
      return { cancel() {} };
    },
    close() {},
  };
}

describe('scripts/bench raw gRPC load client', () => {
  it("fixToEvent starts timing after the streams' replay, never matches a replayed award, and resumes streams after the last event seen", async () => {
    const route = new Route(BEACONS, 1);
    const load = replayingLoad(route, 20);
    const streamSeqs = [0];
    const r = await fixToEvent(load, route, 1, 500, 400, streamSeqs);
    assert.deepEqual(load.afterSeqs, [0]);
    assert.ok(r.replayWaitMs >= 300, `waited ${r.replayWaitMs} ms for the replay to go quiet`);
    assert.ok(r.samples > 0, 'awards timed');
    // The replayed award at b1 would have matched the first fix's award at b1 within microseconds.
    assert.ok(r.minMs >= 15 && r.maxMs < 1_000, `min ${r.minMs} ms, max ${r.maxMs} ms: every sample is a fix's own event`);
    const resumeFrom = streamSeqs[0]!;
    assert.ok(resumeFrom > 5, `resumes after seq ${resumeFrom}`);
    const again = replayingLoad(route, 20);
    await fixToEvent(again, route, 1, 500, 100, streamSeqs);
    assert.deepEqual(again.afterSeqs, [resumeFrom]);
  });

  it('Route: a walking player changes beacon every FIXES_PER_BEACON fixes; a standing one keeps its beacon, seq still rising', () => {
    const beacons = [{ id: 'a', txPowerDbm: -60 }, { id: 'b', txPowerDbm: -60 }, { id: 'c', txPowerDbm: -60 }];
    const route = new Route(beacons, 1);
    const strongest = (f: Fix) => [...f.readings].sort((x, y) => y.rssiDbm - x.rssiDbm)[0]!.beaconId;
    const walked = Array.from({ length: 3 * FIXES_PER_BEACON }, () => route.next(0, 'p'));
    assert.equal(new Set(walked.map(strongest)).size, 3, 'walking: three beacons in three legs');
    route.stay = true;
    const stood = Array.from({ length: 3 * FIXES_PER_BEACON }, () => route.next(0, 'p'));
    assert.deepEqual([...new Set(stood.map(strongest))], [strongest(walked.at(-1)!)], 'standing: the beacon of the last fix only');
    assert.deepEqual(stood.map((f) => f.clientSeq), Array.from({ length: 3 * FIXES_PER_BEACON }, (_, i) => 3 * FIXES_PER_BEACON + 1 + i));
    route.stay = false;
    assert.equal(route.next(0, 'p').clientSeq, 6 * FIXES_PER_BEACON + 1, 'walks on from there');
  });

  it('closedLoop counts a visit for each ack whose closest beacon changed, none while players stand still', async () => {
    const beacons = [{ id: 'a', txPowerDbm: -60 }, { id: 'b', txPowerDbm: -60 }, { id: 'c', txPowerDbm: -60 }];
    const players = 4;
    const route = new Route(beacons, players);
    // An ack as a game without hysteresis would give: the closest beacon is the strongest reading's.
    const send = async (p: number): Promise<FixAck> => {
      const fix = route.next(p, `p${p}`);
      return { accepted: true, closestBeaconId: fix.readings[0]!.beaconId, score: 0, awards: [], achievements: [], claimedTreasures: [] };
    };
    const walked = await closedLoop(route, players, 2, 30, send);
    const legs = Math.floor(walked.acked / players / FIXES_PER_BEACON);
    assert.ok(walked.visits >= players * legs && walked.visits <= players * (legs + 2), `${walked.visits} visits in ${walked.acked} fixes`);
    route.stay = true;
    const stood = await closedLoop(route, players, 2, 30, send);
    assert.ok(stood.acked > 0);
    assert.equal(stood.visits, 0);
  });

  it('FrameReader splits messages across chunk boundaries', () => {
    const got: number[][] = [];
    const r = new FrameReader((m) => got.push([...m]));
    const wire = Buffer.concat([frame([1, 2, 3]), frame([]), frame([4])]);
    const cuts = [0, 1, 4, 6, 9, wire.length];
    for (let i = 1; i < cuts.length; i++) r.push(wire.subarray(cuts[i - 1], cuts[i]));
    assert.deepEqual(got, [[1, 2, 3], [], [4]]);
  });

  describe('against a grpc-js server (the bare Hunt service)', () => {
    let server: Server;
    let address: string;
    before(async () => {
      server = new Server();
      server.addService(HuntService, bareHuntImplementation());
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      address = `127.0.0.1:${port}`;
    });
    after(() => server.forceShutdown());

    it('makes a unary call and decodes the answer; the first fix at a beacon gets an award', async () => {
      const raw = new RawGrpcClient(address, 1);
      try {
        const fix = (clientSeq: number) => Fix.encode({ playerId: 'p1', clientSeq, clientTimeMs: 0, readings: [{ beaconId: 'b9', rssiDbm: -60 }], gps: undefined }).finish();
        const plain = FixAck.decode(await raw.unary(0, HuntService.reportFix.path, fix(1), 'Bearer x', 5_000));
        assert.equal(plain.accepted, true);
        assert.deepEqual(plain.awards, []);
        const first = FixAck.decode(await raw.unary(0, HuntService.reportFix.path, fix(FIXES_PER_BEACON), 'Bearer x', 5_000));
        assert.deepEqual(first.awards.map((a) => a.beaconId), ['b9']);
      } finally {
        raw.close();
      }
    });

    it('rejects with the status code of a failed call', async () => {
      const raw = new RawGrpcClient(address, 1);
      try {
        await assert.rejects(raw.unary(0, '/quarry.hunt.v1.Hunt/NoSuchMethod', new Uint8Array(), 'Bearer x', 5_000), (err: unknown) => err instanceof GrpcCallError && err.code === 12);
      } finally {
        raw.close();
      }
    });

    it('streams server messages as they come, and a cancel ends the stream without an error', async () => {
      const raw = new RawGrpcClient(address, 1);
      try {
        const events: Event[] = [];
        let ended: Error | undefined | 'open' = 'open';
        let onOpen!: () => void;
        const opened = new Promise<void>((r) => (onOpen = r));
        let onEvent!: () => void;
        const got = new Promise<void>((r) => (onEvent = r));
        const stream = raw.serverStream(0, HuntService.subscribe.path, SubscribeRequest.encode({ playerId: 'p2', afterSeq: 0, cursors: [] }).finish(), 'Bearer x', {
          onMessage: (m) => {
            events.push(Event.decode(m));
            onEvent();
          },
          onOpen,
          onEnd: (err) => (ended = err),
        });
        await opened;
        const fix = Fix.encode({ playerId: 'p2', clientSeq: FIXES_PER_BEACON, clientTimeMs: 0, readings: [{ beaconId: 'b4', rssiDbm: -60 }], gps: undefined }).finish();
        await raw.unary(0, HuntService.reportFix.path, fix, 'Bearer x', 5_000);
        await got;
        assert.equal(events[0]!.body?.$case, 'award');
        stream.cancel();
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(ended, undefined);
      } finally {
        raw.close();
      }
    });

    it('fixToEvent times award events for the fixes whose answers carry an award', async () => {
      const players = 4;
      const route = new Route(BEACONS, players);
      const ids = Array.from({ length: players }, (_, i) => `r${i}`);
      const load = rawHuntLoad(address, route, ids, ids.map(() => 'x'), 5_000);
      try {
        const r = await fixToEvent(load, route, players, 400, 500);
        assert.equal(r.failed, 0);
        assert.ok(r.sent > 0);
        // One fix in FIXES_PER_BEACON carries an award, and each of those must have been timed to its event.
        const awarded = Math.floor(r.sent / FIXES_PER_BEACON);
        assert.ok(r.samples >= awarded - players && r.samples <= awarded + players, `${r.samples} samples for ${r.sent} fixes`);
      } finally {
        load.close();
      }
    });

    it('runs the fix-to-event phase in a load process of its own, going on from the route it is given', async () => {
      const players = 4;
      const ids = Array.from({ length: players }, (_, i) => `q${i}`);
      const seqs = [100, 200, 300, 400];
      const job = { address, beacons: BEACONS, playerIds: ids, tokens: ids.map(() => 'x'), seqs, streamSeqs: [0, 0, 0, 0], ratePerSec: 400, phaseMs: 500, deadlineMs: 5_000 };
      const { lat, seqs: after, streamSeqs } = await runLatencyLoadProcess(job);
      assert.equal(lat.failed, 0);
      assert.ok(lat.sent > 0 && lat.samples > 0, `${lat.sent} sent, ${lat.samples} timed`);
      // Every fix advanced its player's client_seq from where the parent left it.
      assert.equal(after.reduce((a, b) => a + b, 0) - seqs.reduce((a, b) => a + b, 0), lat.sent);
      assert.ok(after.every((s, i) => s >= seqs[i]!));
      // Each player's stream saw its award events: the next round resumes after the last of them.
      assert.ok(streamSeqs.every((s) => s > 0), JSON.stringify(streamSeqs));
    });

    it('rejects, naming the failure, when the load process cannot run its phase', async () => {
      // Nothing listens on port 1: the first stream fails to open.
      const job = { address: '127.0.0.1:1', beacons: BEACONS, playerIds: ['q0'], tokens: ['x'], seqs: [0], streamSeqs: [0], ratePerSec: 10, phaseMs: 100, deadlineMs: 1_000 };
      await assert.rejects(runLatencyLoadProcess(job), /latency load process: /);
    });
  });
});
