/**
 * A SimPlayer whose node is gone (nothing listens at its address) moves to the next node of its list: its fix is
 * sent again there soon, not at the next tick, and its event stream re-subscribes there. Real grpc-js server, real
 * HTTP/2 client; the walker is a stand-in that always sees one beacon.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Server, ServerCredentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { Event, Fix, FixAck, HuntService, SubscribeRequest } from '../../proto/gen/hunt.js';
import { H2Channel } from '../../scripts/loadgen/h2-channel.js';
import { SimPlayer } from '../../scripts/loadgen/sim-player.js';
import { LoadStats } from '../../scripts/loadgen/stats.js';
import type { Walker } from '../../scripts/sim/walker.js';
import { waitFor } from '../../testing/wait.js';

const WAIT_MS = 5_000;

describe('scripts/loadgen SimPlayer failover (real HTTP/2)', function () {
  this.timeout(10_000);
  let server: Server;
  let liveAddress: string;
  let deadAddress: string;
  const fixesSeen: number[] = [];
  const subscribers: string[] = [];

  before(async () => {
    server = new Server();
    server.addService(HuntService, {
      reportFix(c: ServerUnaryCall<Fix, FixAck>, done: sendUnaryData<FixAck>) {
        fixesSeen.push(c.request.clientSeq);
        done(null, { accepted: true, closestBeaconId: 'b1', score: 0, awards: [], achievements: [], claimedTreasures: [] });
      },
      subscribe(c: ServerWritableStream<SubscribeRequest, Event>) {
        subscribers.push(c.request.playerId);
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    liveAddress = `127.0.0.1:${port}`;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    deadAddress = `127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((resolve) => closed.close(resolve));
  });

  after(() => server.forceShutdown());

  it('sends its next fix and opens its stream on the next node after UNAVAILABLE, and records when it failed and recovered', async () => {
    const channels = [new H2Channel(deadAddress), new H2Channel(liveAddress)];
    const stats = new LoadStats();
    const walker = { advance() {}, readings: () => [{ beaconId: 'b1', rssiDbm: -60 }] } as unknown as Walker;
    // random() = 0.5: the failover wait is half of the first ceiling (250 ms), 125 ms.
    const player = new SimPlayer('p1', channels, 0, 'token', walker, stats, 10_000, 2_000, () => 0.5);
    try {
      player.subscribe();
      player.sendFix();
      await waitFor(() => stats.fixesAcked === 1, { phase: 'failover', expected: 'the fix sent again on the live node acked', seen: () => `acked ${stats.fixesAcked}, failures ${JSON.stringify(stats.failuresByStatus)}`, timeoutMs: WAIT_MS });
      await waitFor(() => subscribers.length === 1, { phase: 'failover', expected: 'the stream re-subscribed on the live node', seen: () => `subscribers ${JSON.stringify(subscribers)}, stream failures ${JSON.stringify(stats.streamFailuresByStatus)}`, timeoutMs: WAIT_MS });
      assert.deepEqual(stats.failuresByStatus, { UNAVAILABLE: 1 });
      assert.deepEqual(stats.streamFailuresByStatus, { UNAVAILABLE: 1 });
      assert.deepEqual(fixesSeen, [2], 'fix 1 never reached a node; fix 2 went to the live one');
      const t = player.failureTimes;
      assert.ok(t.lastFailureAtMs !== undefined && t.sentAfterFailureAtMs! >= t.lastFailureAtMs && t.recoveredAtMs! >= t.sentAfterFailureAtMs!, JSON.stringify(t));
      assert.equal(stats.internalErrors, 0);
    } finally {
      player.stop();
      for (const c of channels) c.close();
    }
  });
});
