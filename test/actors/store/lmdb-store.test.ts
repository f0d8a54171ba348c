import assert from 'node:assert/strict';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/lmdb-store.js';
import { decodeValue, encodeSnapshot, encodeValue } from '../../../actors/store/snapshot-codec.js';
import { StoreCommitError, InvalidStoreOptionError } from '../../../actors/store/errors.js';
import type { StoreOp } from '../../../actors/store/snapshot-store.js';
import { ID_BLOCK_IDS } from '../../../actors/store/id-block.js';
import { tempDir } from './support.js';

const DAY = 86_400_000;

describe('LMDB snapshot store', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LmdbSnapshotStore;

  beforeEach(() => {
    dir = tempDir('store');
    store = openLmdbStore({ path: dir.path, auditRetentionDays: 2, sweepBatchEntries: 3 });
  });

  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  const journal = (kind: string, key: string, seq: number): StoreOp => ({ t: 'journal', kind, key, seq, event: encodeValue({ seq }) });

  it('reads one actor\'s journal tail without touching actors whose keys share a prefix', async () => {
    await store.commit([journal('p', 'a', 1), journal('p', 'a', 2), journal('p', 'a', 3), journal('p', 'ab', 1), journal('pa', 'a', 1)]);
    assert.deepEqual(store.readJournal('p', 'a', 1).map((e) => e.seq), [2, 3]);
    assert.deepEqual(store.readJournal('p', 'ab', 0).map((e) => e.seq), [1]);
    assert.deepEqual(store.readJournal('p', 'b', 0), []);
  });

  it('tells a one-byte event (msgpack\'s 0, null, true) from the marker of a message that only emitted', async () => {
    const event = (seq: number, value: unknown): StoreOp => ({ t: 'journal', kind: 'p', key: 'a', seq, event: encodeValue(value) });
    await store.commit([event(1, 0), event(2, null), event(3, true), { t: 'journal', kind: 'p', key: 'a', seq: 4, event: null }]);
    assert.deepEqual(store.readJournal('p', 'a', 0).map((e) => (e.event === null ? 'marker' : decodeValue(e.event))), [0, null, true, 'marker']);
  });

  it('never replaces a snapshot with an older one (a late replicated copy), nor prunes for it', async () => {
    const snap = (n: number, seq: number): StoreOp => ({ t: 'snapshot', kind: 'p', key: 'a', bytes: encodeSnapshot({ state: { n }, seq, schemaVersion: 1, activationCount: 1 }), seq, pruneAfterSeq: 0 });
    await store.commit([snap(7, 2_000_007)]);
    await store.commit([journal('p', 'a', 5), snap(5, 5)]);
    assert.deepEqual(store.readSnapshot('p', 'a'), { state: { n: 7 }, seq: 2_000_007, schemaVersion: 1, activationCount: 1 });
    assert.deepEqual(store.readJournal('p', 'a', 0).map((e) => e.seq), [5], 'the skipped snapshot pruned nothing');
    await store.commit([snap(8, 2_000_008)]);
    assert.equal(store.readSnapshot('p', 'a')?.seq, 2_000_008);
  });

  it('never replaces a snapshot with an older one queued after it in a commit still in flight', async () => {
    const snap = (seq: number, pruneAfterSeq: number): StoreOp => ({ t: 'snapshot', kind: 'p', key: 'a', bytes: encodeSnapshot({ state: { seq }, seq, schemaVersion: 1, activationCount: 1 }), seq, pruneAfterSeq });
    await store.commit([journal('p', 'a', 4)]);
    // Neither is committed when the second is checked: the store alone holds no snapshot yet.
    const newer = store.commit([snap(9, 9)]);
    const older = store.commit([snap(4, 0)]);
    await Promise.all([newer, older]);
    assert.equal(store.readSnapshot('p', 'a')?.seq, 9);
    assert.deepEqual(store.readJournal('p', 'a', 0).map((e) => e.seq), [4], 'the skipped snapshot pruned nothing');
    assert.equal(store.snapshotsInFlight.size, 0, 'settled commits leave nothing in flight');
  });

  it('prunes journal entries up to a snapshot in the snapshot\'s transaction', async () => {
    await store.commit([journal('p', 'a', 1), journal('p', 'a', 2), journal('p', 'a', 3)]);
    const bytes = encodeSnapshot({ state: { n: 2 }, seq: 2, schemaVersion: 1, activationCount: 1 });
    await store.commit([{ t: 'snapshot', kind: 'p', key: 'a', bytes, seq: 2, pruneAfterSeq: 0 }]);
    assert.deepEqual(store.readJournal('p', 'a', 0).map((e) => e.seq), [3]);
    assert.deepEqual(store.readSnapshot('p', 'a'), { state: { n: 2 }, seq: 2, schemaVersion: 1, activationCount: 1 });
  });

  it('commits all or nothing: a failing write leaves no journal or outbox entry behind', async () => {
    const tooLong = 'k'.repeat(3_000); // past LMDB's key size limit
    const err = await store
      .commit([journal('p', 'a', 1), { t: 'outbox', channel: 'user.a', body: encodeValue(1), dedupId: 'p/a/1/0', committedAtMs: 1 }, journal('p', tooLong, 1)])
      .catch((e: unknown) => e);
    assert.ok(err instanceof StoreCommitError, String(err));
    assert.deepEqual(store.readJournal('p', 'a', 0), []);
    assert.deepEqual(store.outbox.readPending(0, 10), []);
    await store.commit([journal('p', 'a', 1)]);
    assert.equal(store.readJournal('p', 'a', 0).length, 1, 'the store keeps working after a failed commit');
  });

  it('records the latency of each successful commit, and none for a failed one', async () => {
    assert.equal(store.commitLatencyUs.totalCount, 0);
    await store.commit([journal('p', 'a', 1)]);
    await store.commit([journal('p', 'a', 2), journal('p', 'b', 1)]);
    await assert.rejects(store.commit([journal('p', 'k'.repeat(3_000), 1)]), StoreCommitError); // past LMDB's key size limit
    assert.equal(store.commitLatencyUs.totalCount, 2);
  });

  it('gives outbox entries increasing ids that survive acks and restarts', async () => {
    const entry = (n: number): StoreOp => ({ t: 'outbox', channel: 'c', body: encodeValue(n), dedupId: `d${n}`, committedAtMs: n });
    await store.commit([entry(1), entry(2)]);
    assert.deepEqual(store.outbox.readPending(0, 10).map((e) => [e.id, e.body]), [[1, 1], [2, 2]]);
    await store.outbox.ack(2);
    assert.deepEqual(store.outbox.readPending(0, 10), []);
    await store.close();
    store = openLmdbStore({ path: dir.path });
    await store.commit([entry(3)]);
    const [third] = store.outbox.readPending(0, 10);
    assert.ok(third!.id > 2 && third!.body === 3, `after a restart the ids go on above 2, got ${third!.id}`);
    assert.deepEqual(store.outbox.readPending(third!.id, 10), []);
  });

  it('writes the id reservation in the first commit after a restart and in no later one within the block', async () => {
    const audit = (n: number): StoreOp => ({ t: 'audit', kind: 'p', key: 'a', atMs: n, entry: encodeValue(n) });
    await store.commit([audit(1)]);
    const reserved = store.dbs.meta.get('auditLastId');
    assert.equal(reserved, 1 + ID_BLOCK_IDS);
    await store.dbs.meta.put('auditLastId', 1); // a mark: a commit that stores the reservation overwrites it
    for (let n = 2; n <= 5; n++) await store.commit([audit(n)]);
    assert.equal(store.dbs.meta.get('auditLastId'), 1, 'no commit within the block wrote the meta database');
    await store.dbs.meta.put('auditLastId', reserved!);
    await store.close();
    store = openLmdbStore({ path: dir.path });
    await store.commit([audit(6)]);
    assert.deepEqual(store.readAudit('p', 'a', 10).map((r) => r.id), [1, 2, 3, 4, 5, reserved! + 1]);
  });

  it('sweeps expired sessions through the expiry index, in batches, sparing re-written ones', async () => {
    const session = (key: string, expiresAtMs: number, previousExpiresAtMs?: number): StoreOp => ({
      t: 'session', kind: 'p', key, value: encodeValue({ key }), expiresAtMs, previousExpiresAtMs,
    });
    await store.commit(['a', 'b', 'c', 'd', 'e'].map((k, i) => session(k, 1_000 + i)));
    await store.commit([session('b', 5_000, 1_001)]); // refreshed: its old index key goes
    const result = await store.sweepExpired(1_003);
    assert.deepEqual(result, { sessionsExpired: 3, auditExpired: 0 }); // a, c, d; batches of 3
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => store.readSession('p', k)?.expiresAtMs), [undefined, 5_000, undefined, undefined, 1_004]);
  });

  it('keeps audit entries for the retention and deletes older ones', async () => {
    const audit = (key: string, atMs: number): StoreOp => ({ t: 'audit', kind: 'p', key, atMs, entry: encodeValue({ atMs }) });
    await store.commit([audit('a', 1 * DAY), audit('b', 1 * DAY), audit('a', 2.5 * DAY), audit('a', 3 * DAY), audit('a', 4 * DAY)]);
    assert.deepEqual(await store.sweepExpired(5 * DAY), { sessionsExpired: 0, auditExpired: 3 });
    assert.deepEqual(store.readAudit('p', 'a', 10).map((e) => e.atMs), [3 * DAY, 4 * DAY], 'exactly the retention old is kept');
    assert.deepEqual(store.readAudit('p', 'b', 10), []);
  });

  it('validates options naming the key', () => {
    assert.throws(() => openLmdbStore({ path: dir.path, auditRetentionDays: 0 }), (e: unknown) => e instanceof InvalidStoreOptionError && /store\.auditRetentionDays: must be a positive integer, got 0/.test(e.message));
    assert.throws(() => openLmdbStore({ path: '' }), /store\.path/);
  });
});
