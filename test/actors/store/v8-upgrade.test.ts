import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { openLmdbStore } from '../../../actors/store/lmdb-store.js';
import { decodeValue, encodeValue, frameSnapshot } from '../../../actors/store/snapshot-codec.js';
import type { SnapshotRecord } from '../../../actors/store/snapshot-store.js';
import { tempDir } from './support.js';

/** A snapshot exactly as the store wrote it before msgpack: the same header (unchanged), the state in V8's format. */
function v8Snapshot(record: SnapshotRecord): Buffer {
  return frameSnapshot(record, serialize(record.state));
}

describe('a store written before msgpack', () => {
  it('is read by this version: snapshot, journal, session, audit and outbox values', async () => {
    const dir = tempDir('v8-upgrade');
    const profile = { score: 12, lastSeq: 40, achievements: ['explorer'], claims: [], visits: new Map<string, number | null>([['b1', 5], ['b2', null]]), recent: [], completedAtMs: null };
    const event = { type: 'visited', beaconId: 'b3', atMs: 9, fixSeq: 41, awards: [{ points: 5, reason: 'first visit' }], claims: [], visitPoints: undefined };
    const session = { lastSeq: 41, smoothed: [{ beaconId: 'b3', rssiDbm: -60, heardAtMs: 9 }], buildingId: null };
    const audit = { type: 'award', playerId: 'alice', beaconId: 'b3', points: 5, atMs: 9 };
    const body = { $case: 'award', value: { beaconId: 'b3', points: 5, reason: 'first visit' } };
    const old = openLmdbStore({ path: dir.path });
    await old.commit([
      { t: 'snapshot', kind: 'player', key: 'alice', bytes: v8Snapshot({ state: profile, seq: 40, schemaVersion: 1, activationCount: 3 }), seq: 40, pruneAfterSeq: 40 },
      { t: 'journal', kind: 'player', key: 'alice', seq: 41, event: serialize(event) },
      { t: 'session', kind: 'player', key: 'alice', value: serialize(session), expiresAtMs: 1_000, previousExpiresAtMs: undefined },
      { t: 'audit', kind: 'player', key: 'alice', atMs: 9, entry: serialize(audit) },
    ]);
    // The outbox database was lmdb-js msgpack then: an object per entry, its body in V8's format inside.
    const legacyOutbox = old.dbs.root.openDB<{ c: string; b: Buffer; d: string; t: number }, number>({ name: 'outbox', encoding: 'msgpack' });
    await legacyOutbox.put(1, { c: 'user.alice', b: serialize(body), d: 'player/alice/41/0', t: 9 });
    await old.dbs.meta.put('outboxLastId', 1);
    await old.close();

    const store = openLmdbStore({ path: dir.path });
    try {
      assert.deepStrictEqual(store.readSnapshot('player', 'alice'), { state: profile, seq: 40, schemaVersion: 1, activationCount: 3 });
      assert.deepStrictEqual(store.readJournal('player', 'alice', 40).map((e) => decodeValue(e.event!)), [event]);
      assert.deepStrictEqual(decodeValue(store.readSession('player', 'alice')!.value), session);
      assert.deepStrictEqual(store.readAudit('player', 'alice', 10).map((r) => r.entry), [audit]);
      assert.deepStrictEqual(store.outbox.readPending(0, 10), [{ id: 1, channel: 'user.alice', body, dedupId: 'player/alice/41/0', committedAtMs: 9 }]);
      await store.commit([{ t: 'outbox', channel: 'user.alice', body: encodeValue(body), dedupId: 'player/alice/42/0', committedAtMs: 10 }]);
      assert.deepStrictEqual(store.outbox.readPending(0, 10).map((e) => [e.id, e.dedupId, e.body]), [[1, 'player/alice/41/0', body], [2, 'player/alice/42/0', body]], 'old and new entries side by side');
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
