/**
 * Admission at the edge (gateway/admission.ts): past `gateway.maxInFlightCalls` a node refuses a fix at once with
 * RESOURCE_EXHAUSTED and a retry pushback, applies nothing for it, and serves it when the client retries.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { AdmissionGate, LagGovernor, NodeAtCapacityError } from '../../gateway/admission.js';
import { HuntClient, type Fix, type FixAck } from '../../proto/gen/hunt.js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from './support-real-node.js';

const SECRET = 'admission-test-secret-0123456789abcdef';
const MAX_CALLS = 4;
const PLAYERS = 40;

describe('gateway admission', function () {
  this.timeout(60_000);

  it('AdmissionGate: the slot past the limit is refused and counted; a freed slot admits again', () => {
    const gate = new AdmissionGate('player calls', 2, 150);
    assert.equal(gate.tryEnter(), true);
    assert.equal(gate.tryEnter(), true);
    assert.equal(gate.tryEnter(), false);
    assert.ok(gate.refusal instanceof NodeAtCapacityError && gate.refusal.retryPushbackMs === 150 && /2 player calls in flight/.test(gate.refusal.message));
    assert.equal(gate.refused, 1);
    gate.leave();
    assert.equal(gate.tryEnter(), true);
    assert.equal(gate.current, 2);
    assert.throws(() => new AdmissionGate('x', 0), /positive integer/);
  });

  it('LagGovernor: late intervals narrow every gate it governs (a quarter off each), quiet ones widen them back; refusals then say why', () => {
    const governor = new LagGovernor(25);
    const gate = new AdmissionGate('player calls', 100, 200, governor);
    assert.equal(gate.admitted, 100);
    governor.adjust(30);
    governor.adjust(30);
    assert.equal(gate.admitted, 56, '100 x 0.75 x 0.75');
    for (let i = 0; i < 56; i++) assert.equal(gate.tryEnter(), true);
    assert.equal(gate.tryEnter(), false);
    assert.match(gate.refusal.message, /event loop is behind \(over 25 ms\)/);
    governor.adjust(20);
    assert.equal(gate.admitted, 56, 'between half the target and the target: held');
    governor.adjust(5);
    assert.equal(gate.admitted, 61, 'a quiet interval gives back a twentieth of the cap');
    for (let i = 0; i < 100; i++) governor.adjust(100);
    assert.equal(gate.admitted, 4, 'never below 4 in flight');
    for (let i = 0; i < 40; i++) governor.adjust(0);
    assert.equal(gate.admitted, 100);
    for (let i = 0; i < 56; i++) gate.leave();
    assert.equal(governor.lateIntervals, 102);
    assert.throws(() => new LagGovernor(0), /positive number of ms/);
  });

  describe(`a real node with gateway.maxInFlightCalls=${MAX_CALLS}`, () => {
    let dataDir: string;
    let node: QuarryNode;
    let client: HuntClient;
    before(async () => {
      ({ node, dataDir } = await startRealNode('admission', SECRET, { 'gateway.maxInFlightCalls': MAX_CALLS }));
      client = new HuntClient(node.grpcAddress, credentials.createInsecure());
    });
    after(async () => {
      client?.close();
      await node?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const report = (f: Fix, md: Metadata) =>
      new Promise<{ ack?: FixAck; err?: ServiceError }>((resolve) => client.reportFix(f, md, (err, ack) => resolve(err ? { err } : { ack: ack! })));

    it(`${PLAYERS} fixes at once: the excess is refused RESOURCE_EXHAUSTED with a pushback, and served on retry`, async () => {
      const players = Array.from({ length: PLAYERS }, (_, i) => `adm-${i}`);
      const md = await Promise.all(players.map(async (playerId) => {
        const m = new Metadata();
        m.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 60 })}`);
        return m;
      }));
      const fix = (playerId: string): Fix => ({ playerId, clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -65 }], gps: undefined });
      const first = await Promise.all(players.map((p, i) => report(fix(p), md[i]!)));
      const refused = first.flatMap((r, i) => (r.err ? [i] : []));
      for (const i of refused) {
        const err = first[i]!.err!;
        assert.equal(err.code, status.RESOURCE_EXHAUSTED, `${players[i]}: ${err.details}`);
        assert.match(err.details, /node at capacity: 4 player calls in flight; retry with backoff/);
        assert.equal(err.metadata.get('grpc-retry-pushback-ms')[0], '200');
      }
      assert.ok(refused.length > 0, `some of ${PLAYERS} simultaneous fixes exceed ${MAX_CALLS} in flight`);
      assert.ok(first.filter((r) => r.ack?.accepted).length >= MAX_CALLS, 'the admitted ones are served');
      // A refused fix applied nothing: the same clientSeq is accepted when retried (one at a time: below the limit).
      for (const i of refused) assert.equal((await report(fix(players[i]!), md[i]!)).ack?.accepted, true, `${players[i]} retried`);
    });
  });
});
