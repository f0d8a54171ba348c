import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { decodeSnapshot, decodeValue, encodeSnapshot, encodeValue } from '../../../actors/store/snapshot-codec.js';
import { defineKind } from '../../../actors/runtime/types.js';
import { ClaimBatcher, CLAIM_BATCH_REFS, decodeRequest } from '../../../cluster/routing/claim-batch.js';
import { exportActor, termOps, TERM_SEQ_GAP } from '../../../cluster/routing/handoff.js';
import { receivePush, type PushedActor } from '../../../cluster/routing/leave-push.js';
import type { RoutingContext } from '../../../cluster/routing/context.js';
import { ReplicatingStore, type ReplicaOp, type ReplicaTargets } from '../../../cluster/routing/replicating-store.js';
import { MSGPACK } from '../../../cluster/routing/wire-codec.js';
import type { Envelope, Reply, Transport } from '../../../cluster/transport/transport.js';

const NOW = 1_800_000_000_000;
const TTL = 60_000;

const counter = defineKind<{ count: number }, { op: 'inc' }, number, { by: number }, { incs: number }>({
  name: 'counter',
  initialState: () => ({ count: 0 }),
  apply: (s, e) => ({ count: s.count + e.by }),
  session: { ttlMs: TTL, initial: () => ({ incs: 0 }) },
  handle: (_m, ctx) => ctx.state.count,
});

const snap = (count: number, seq: number) => encodeSnapshot({ state: { count }, seq, schemaVersion: 1, activationCount: 1 });
const session = (incs: number, expiresAtMs: number, previousExpiresAtMs?: number) =>
  ({ t: 'session', kind: 'counter', key: 'k', value: encodeValue({ incs }), expiresAtMs, previousExpiresAtMs }) as const;

describe('cluster/routing: handoff units (real LMDB in a temp dir)', () => {
  let dir: string;
  let store: LmdbSnapshotStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-handoff-'));
    store = openLmdbStore({ path: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('exportActor', () => {
    it('folds snapshot and journal tail, and carries the live session as time left', async () => {
      await store.commit([
        { t: 'snapshot', kind: 'counter', key: 'k', bytes: snap(3, 3), seq: 3, pruneAfterSeq: 3 },
        { t: 'journal', kind: 'counter', key: 'k', seq: 4, event: encodeValue({ by: 1 }) },
        { t: 'journal', kind: 'counter', key: 'k', seq: 5, event: encodeValue({ by: 1 }) },
        session(7, NOW + 25_000),
      ]);
      const e = exportActor(store, counter, 'k', NOW);
      assert.equal(e.seq, 5);
      assert.deepEqual(decodeSnapshot(e.snapshot!, 'counter/k').state, { count: 5 });
      assert.equal(e.session!.ttlLeftMs, 25_000);
      assert.deepEqual(decodeValue(e.session!.value), { incs: 7 });
    });

    it('leaves an expired session behind', async () => {
      await store.commit([{ t: 'snapshot', kind: 'counter', key: 'k', bytes: snap(1, 1), seq: 1, pruneAfterSeq: 1 }, session(1, NOW)]);
      assert.equal(exportActor(store, counter, 'k', NOW).session, undefined);
    });
  });

  describe('termOps', () => {
    it("writes the newest candidate's state TERM_SEQ_GAP above it, with its session re-based on this clock", async () => {
      await store.commit([session(1, NOW + 5_000)]);
      const ops = termOps(store, counter, 'k', [{ seq: 4, snapshot: snap(4, 4) }, { seq: 9, snapshot: snap(9, 9), session: { value: encodeValue({ incs: 9 }), ttlLeftMs: 40_000 } }, { seq: -1 }], NOW);
      assert.equal(ops.length, 2);
      assert.deepEqual({ ...ops[0], bytes: undefined }, { t: 'snapshot', kind: 'counter', key: 'k', bytes: undefined, seq: 9 + TERM_SEQ_GAP, pruneAfterSeq: 9 + TERM_SEQ_GAP });
      assert.deepEqual(decodeSnapshot((ops[0] as { bytes: Uint8Array }).bytes, 'counter/k').state, { count: 9 });
      assert.deepEqual({ ...ops[1], value: undefined }, { t: 'session', kind: 'counter', key: 'k', value: undefined, expiresAtMs: NOW + 40_000, previousExpiresAtMs: NOW + 5_000 });
    });

    it('expires a live local session of an older history when the newest candidate carries none', async () => {
      await store.commit([session(1, NOW + 5_000)]);
      const ops = termOps(store, counter, 'k', [{ seq: 9, snapshot: snap(9, 9) }], NOW);
      assert.deepEqual({ ...ops[1], value: undefined }, { t: 'session', kind: 'counter', key: 'k', value: undefined, expiresAtMs: NOW, previousExpiresAtMs: NOW + 5_000 });
    });

    it('writes nothing when no candidate holds the actor', () => {
      assert.deepEqual(termOps(store, counter, 'k', [{ seq: -1 }], NOW), []);
    });
  });

  describe('receivePush (a leaving node pushes its stored actors)', () => {
    const router = (claimed: string[] = []) => ({ store: { inner: store }, clock: { now: () => Date.now() }, kindEntry: (k: string) => (k === 'counter' ? { def: counter } : undefined), claimed: (kind: string, key: string) => claimed.includes(`${kind}/${key}`) });
    const push = (key: string, seq: number, ttlLeftMs?: number): PushedActor => ({
      kind: 'counter',
      key,
      seq,
      snapshot: snap(seq, seq),
      ...(ttlLeftMs !== undefined && { session: { value: encodeValue({ incs: seq }), ttlLeftMs } }),
    });

    it('keeps a pushed actor newer than the stored one, skips older ones, unknown kinds and actors already claimed here', async () => {
      await store.commit([
        { t: 'snapshot', kind: 'counter', key: 'older-here', bytes: snap(2, 2), seq: 2, pruneAfterSeq: 2 },
        { t: 'journal', kind: 'counter', key: 'newer-here', seq: 8, event: encodeValue({ by: 1 }) },
      ]);
      const r = router(['counter/claimed']);
      const result = await receivePush(r as unknown as RoutingContext, [push('older-here', 5, 30_000), push('newer-here', 6), push('absent', 3), push('claimed', 9), { ...push('x', 4), kind: 'nope' }], r.claimed);
      assert.deepEqual(result, { accepted: 2, skipped: 3 });
      assert.equal(store.readSnapshot('counter', 'older-here')!.seq, 5);
      assert.equal(store.readSession('counter', 'older-here')!.expiresAtMs > Date.now() + 29_000, true);
      assert.equal(store.readSnapshot('counter', 'absent')!.seq, 3);
      assert.equal(store.readSnapshot('counter', 'newer-here'), undefined, 'a newer local journal is not overwritten');
      assert.equal(store.readSnapshot('counter', 'claimed'), undefined);
    });

    it('at an equal seq (this node is the replica) keeps the session that expires later', async () => {
      const now = Date.now();
      await store.commit([{ t: 'snapshot', kind: 'counter', key: 'k', bytes: snap(4, 4), seq: 4, pruneAfterSeq: 4 }, session(1, now + 10_000)]);
      const r = router();
      assert.deepEqual(await receivePush(r as unknown as RoutingContext, [push('k', 4, 50_000)], r.claimed), { accepted: 0, skipped: 1 });
      assert.deepEqual(decodeValue(store.readSession('counter', 'k')!.value), { incs: 4 });
    });
  });

  describe('ReplicatingStore fall-over', () => {
    /** Targets where `x` is the replica until excluded, then `y`; sends to the nodes in `failing` reject. */
    function targets(failing: string[]) {
      const sent: Array<[string, string[]]> = [];
      const t: ReplicaTargets = {
        replicasOf: (_k, _key, exclude) => ['x', 'y'].filter((n) => !exclude?.has(n)).slice(0, 1),
        epoch: 1,
        isOwner: () => true,
        expectsReplica: true,
        waitForReplica: true,
        replicate: async (nodeId: string, ops: ReplicaOp[]) => {
          sent.push([nodeId, ops.map((o) => `${o.t}:${o.key}:${'seq' in o ? o.seq : ''}`)]);
          if (failing.includes(nodeId)) throw new Error(`link to ${nodeId} closed`);
        },
        onReplicationError: () => undefined,
      };
      return { t, sent };
    }

    it("a replica whose link died is replaced by the actor's next replica, which gets a full base", async () => {
      const rs = new ReplicatingStore(store);
      const { t, sent } = targets(['x']);
      rs.attach(t);
      await rs.commit([{ t: 'snapshot', kind: 'counter', key: 'k', bytes: snap(3, 3), seq: 3, pruneAfterSeq: 3 }, { t: 'journal', kind: 'counter', key: 'k', seq: 4, event: encodeValue({ by: 1 }) }]);
      assert.deepEqual(sent, [
        ['x', ['snapshot:k:3', 'journal:k:4']],
        ['y', ['snapshot:k:3', 'journal:k:4']],
      ]);
      // The next write goes to x again (still the first replica), as a full base since x missed the last one.
      await rs.commit([{ t: 'journal', kind: 'counter', key: 'k', seq: 5, event: encodeValue({ by: 1 }) }]).catch(() => undefined);
      assert.deepEqual(sent[2], ['x', ['snapshot:k:3', 'journal:k:4', 'journal:k:5']]);
    });

    it('with no other replica the commit fails (replicated durability) with a typed error the edge answers UNAVAILABLE, not a bare AggregateError (INTERNAL)', async () => {
      const rs = new ReplicatingStore(store);
      const { t } = targets(['x', 'y']);
      rs.attach(t);
      await assert.rejects(rs.commit([{ t: 'journal', kind: 'counter', key: 'k', seq: 1, event: encodeValue({ by: 1 }) }]), (err: Error & { code?: string }) => {
        assert.equal(err.name, 'ReplicationUnavailableError');
        assert.equal(err.code, 'REPLICATION_UNAVAILABLE');
        assert.match(err.message, /no replica took the writes: .*link to (x|y) closed/);
        return true;
      });
    });
  });

  it('the store lists every actor with a snapshot or journal entries once', async () => {
    await store.commit([
      { t: 'snapshot', kind: 'counter', key: 'a', bytes: snap(1, 1), seq: 1, pruneAfterSeq: 1 },
      { t: 'journal', kind: 'counter', key: 'a', seq: 2, event: encodeValue({ by: 1 }) },
      { t: 'journal', kind: 'counter', key: 'b', seq: 1, event: encodeValue({ by: 1 }) },
      { t: 'journal', kind: 'counter', key: 'b', seq: 2, event: encodeValue({ by: 1 }) },
      { t: 'journal', kind: 'player', key: 'a', seq: 1, event: null },
    ]);
    assert.deepEqual([...store.listActors()].map((a) => `${a.kind}/${a.key}`).sort(), ['counter/a', 'counter/b', 'player/a']);
  });
});

describe('cluster/routing: ClaimBatcher', () => {
  /** A transport stub that records asks and answers each claim ref with its index (or an error code). */
  function stubTransport(errorCode = '') {
    const asks: Array<{ peer: string; refs: Array<[string, string]> }> = [];
    const t = {
      ask(peer: string, env: Envelope): Promise<Reply> {
        const req = decodeRequest(env.payload);
        assert.equal(req.t, 'claim');
        const refs = (req as { refs: ReadonlyArray<readonly [string, string]> }).refs as Array<[string, string]>;
        asks.push({ peer, refs });
        return Promise.resolve({ correlationId: 1, payload: MSGPACK.encode(refs.map((_r, i) => ({ owner: false, seq: i }))) as Buffer, errorCode, errorMessage: errorCode ? 'refused' : '' });
      },
    };
    return { asks, transport: t as unknown as Transport };
  }

  it(`claims asked in one tick go out as one envelope per peer of at most ${CLAIM_BATCH_REFS} refs, answers matched in order`, async () => {
    const { asks, transport } = stubTransport();
    const b = new ClaimBatcher(transport, 'a');
    const answers = await Promise.all([
      ...Array.from({ length: CLAIM_BATCH_REFS + 44 }, (_, i) => b.ask('b', 'counter', `k${i}`, Date.now() + 1000)),
      b.ask('c', 'counter', 'k0', Date.now() + 1000),
    ]);
    assert.deepEqual(asks.map((a) => [a.peer, a.refs.length]), [['b', CLAIM_BATCH_REFS], ['b', 44], ['c', 1]]);
    assert.deepEqual(answers[CLAIM_BATCH_REFS + 1], { owner: false, seq: 1 });
    assert.deepEqual(asks[1]!.refs[1], ['counter', `k${CLAIM_BATCH_REFS + 1}`]);
  });

  it('a refused envelope rejects every claim in it', async () => {
    const { transport } = stubTransport('UNAVAILABLE');
    const b = new ClaimBatcher(transport, 'a');
    const results = await Promise.allSettled([b.ask('b', 'counter', 'x', Date.now() + 1000), b.ask('b', 'counter', 'y', Date.now() + 1000)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  });
});
