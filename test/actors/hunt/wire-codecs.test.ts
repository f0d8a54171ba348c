import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { Codec } from '../../../actors/runtime/types.js';
import { huntKinds } from '../../../actors/hunt/kinds.js';
import * as w from '../../../actors/hunt/wire-codecs.js';
import { HuntWireError } from '../../../actors/hunt/wire-codecs.js';
import type { Fix } from '../../../actors/hunt/fix.js';
import type {
  AggregateView, AggregatorMsg, Award, BuildingMsg, ClaimReply, FixAck, GameMsg, PlayerMsg, PlayerView, ShardMsg, ShardSummary, Treasure, TreasureList,
  VisitMsg, VisitReply, Winner,
} from '../../../actors/hunt/messages.js';
import { WireCodecError } from '../../../cluster/routing/errors.js';
import { codecsOf, decodeWith, encodeWith, MSGPACK } from '../../../cluster/routing/wire-codec.js';
import * as pb from '../../../proto/gen/actors.js';
import { smallHunt } from './support.js';

/**
 * Compile-time guard: the fields wire-codecs.ts carries, per TS type. A field added to a message type without a proto
 * field (and a mapping) fails to compile here instead of being dropped silently between nodes.
 */
type Carries<T, K extends keyof T> = [Exclude<keyof T, K>] extends [never] ? true : { missing: Exclude<keyof T, K> };
const carried: true[] = [
  true as Carries<Extract<PlayerMsg, { type: 'fix' }>, 'type' | 'fix'>,
  true as Carries<Extract<PlayerMsg, { type: 'profile' }>, 'type'>,
  true as Carries<Fix, 'clientSeq' | 'clientTimeMs' | 'readings' | 'gps'>,
  true as Carries<Fix['readings'][number], 'beaconId' | 'rssiDbm'>,
  true as Carries<NonNullable<Fix['gps']>, 'lat' | 'lon' | 'accuracyM'>,
  true as Carries<FixAck, 'accepted' | 'closestBeaconId' | 'score' | 'awards' | 'achievements' | 'claimedTreasures'>,
  true as Carries<Award, 'beaconId' | 'points' | 'reason'>,
  true as Carries<PlayerView, 'playerId' | 'score' | 'achievements' | 'claims' | 'visitedBeacons' | 'lastSeq' | 'completedAtMs' | 'session'>,
  true as Carries<PlayerView['session'], 'lastSeq' | 'currentBeaconId' | 'buildingId' | 'trackedBeacons'>,
  true as Carries<VisitMsg, 'type' | 'playerId' | 'fixSeq' | 'atMs' | 'firstVisit' | 'lastPointsAtMs'>,
  true as Carries<VisitReply, 'inHunt' | 'awards' | 'treasureIds'>,
  true as Carries<Extract<BuildingMsg, { type: 'claim' }>, 'type' | 'playerId' | 'treasureId' | 'beaconId' | 'fixSeq' | 'atMs'>,
  true as Carries<Extract<BuildingMsg, { type: 'list' }>, 'type'>,
  true as Carries<ClaimReply, 'result' | 'treasureList'>,
  true as Carries<TreasureList, 'buildingId' | 'version' | 'treasures'>,
  true as Carries<Treasure, 'id' | 'name' | 'capacity' | 'claimedBy'>,
  true as Carries<Extract<ShardMsg, { type: 'score' }>, 'type' | 'playerId' | 'score'>,
  true as Carries<Extract<ShardMsg, { type: 'get' }>, 'type' | 'playerId'>,
  true as Carries<Extract<ShardMsg, { type: 'summary' }>, 'type' | 'topN'>,
  true as Carries<ShardSummary, 'top' | 'scoresDesc' | 'asOfMs'>,
  true as Carries<ShardSummary['top'][number], 'playerId' | 'score'>,
  true as Carries<AggregatorMsg, 'type' | 'maxAgeMs'>,
  true as Carries<AggregateView, 'top' | 'scoresDesc' | 'asOfMs'>,
  true as Carries<Extract<GameMsg, { type: 'complete' }>, 'type' | 'playerId' | 'fixSeq'>,
  true as Carries<Extract<GameMsg, { type: 'winner' }>, 'type'>,
  true as Carries<Winner, 'playerId' | 'decidedAtMs'>,
];
void carried;

const BIG = Number.MAX_SAFE_INTEGER;
const UNI = 'jö-🚀-名前';
const AWARDS = [{ beaconId: 'b1', points: 10, reason: 'first visit x2 (happy-hour)' }, { beaconId: UNI, points: -5, reason: '' }];
const LIST: TreasureList = { buildingId: UNI, version: BIG, treasures: [{ id: 't1', name: 'Gold ✨', capacity: 3, claimedBy: ['p1', UNI] }, { id: 't2', name: '', capacity: 0, claimedBy: [] }] };
const EMPTY_LIST: TreasureList = { buildingId: '', version: 0, treasures: [] };
const VIEW: PlayerView = {
  playerId: UNI, score: -BIG, achievements: ['a1', 'a2'], claims: ['t1'], visitedBeacons: 4_000_000_000, lastSeq: BIG, completedAtMs: 1_781_352_000_000,
  session: { lastSeq: 7, currentBeaconId: 'b1', buildingId: UNI, trackedBeacons: 3 },
};
const SUMMARY: ShardSummary = { top: [{ playerId: UNI, score: BIG }, { playerId: 'p2', score: -3 }], scoresDesc: [BIG, 5, 0, -3], asOfMs: 1_781_352_000_123 };

const cases: Array<[string, Codec<any>, unknown]> = [
  // player
  ['player fix with gps', w.playerMessageCodec, { type: 'fix', fix: { clientSeq: BIG, clientTimeMs: 1_781_352_000_000.5, readings: [{ beaconId: UNI, rssiDbm: -67.25 }, { beaconId: 'b2', rssiDbm: 0 }], gps: { lat: -33.8688, lon: 151.2093, accuracyM: 0 } } }],
  ['player fix without gps (key stays absent)', w.playerMessageCodec, { type: 'fix', fix: { clientSeq: 1, clientTimeMs: -1, readings: [{ beaconId: 'b1', rssiDbm: -120 }] } }],
  ['player fix with gps only', w.playerMessageCodec, { type: 'fix', fix: { clientSeq: 2, clientTimeMs: 0, readings: [], gps: { lat: 0, lon: 0, accuracyM: 12.5 } } }],
  ['player profile', w.playerMessageCodec, { type: 'profile' }],
  ['FixAck full', w.playerReplyCodec, { accepted: true, closestBeaconId: UNI, score: BIG, awards: AWARDS, achievements: ['first-steps', UNI], claimedTreasures: ['t1'] }],
  ['FixAck null closest, empty lists', w.playerReplyCodec, { accepted: false, closestBeaconId: null, score: 0, awards: [], achievements: [], claimedTreasures: [] }],
  ['FixAck empty-string closest is not null', w.playerReplyCodec, { accepted: true, closestBeaconId: '', score: -1, awards: [], achievements: [], claimedTreasures: [] }],
  ['PlayerView full', w.playerReplyCodec, VIEW],
  ['PlayerView nulls', w.playerReplyCodec, { ...VIEW, completedAtMs: null, session: { lastSeq: 0, currentBeaconId: null, buildingId: null, trackedBeacons: 0 } }],
  ['PlayerView completedAtMs 0 is not null', w.playerReplyCodec, { ...VIEW, completedAtMs: 0, achievements: [], claims: [] }],
  // beacon
  ['visit, lastPointsAtMs null', w.beaconMessageCodec, { type: 'visit', playerId: UNI, fixSeq: BIG, atMs: 1_781_352_000_000, firstVisit: true, lastPointsAtMs: null }],
  ['visit, lastPointsAtMs 0', w.beaconMessageCodec, { type: 'visit', playerId: 'p', fixSeq: 1, atMs: 0, firstVisit: false, lastPointsAtMs: 0 }],
  ['VisitReply full', w.beaconReplyCodec, { inHunt: true, awards: AWARDS, treasureIds: ['t1', UNI] }],
  ['VisitReply empty', w.beaconReplyCodec, { inHunt: false, awards: [], treasureIds: [] }],
  // building
  ['claim', w.buildingMessageCodec, { type: 'claim', playerId: UNI, treasureId: 't1', beaconId: 'b1', fixSeq: BIG, atMs: 1_781_352_000_000 }],
  ['list', w.buildingMessageCodec, { type: 'list' }],
  ...(['granted', 'alreadyClaimed', 'soldOut', 'unknownTreasure'] as const).map((result): [string, Codec<any>, unknown] => [`ClaimReply ${result}`, w.buildingReplyCodec, { result, treasureList: LIST }]),
  ['ClaimReply with empty list', w.buildingReplyCodec, { result: 'soldOut', treasureList: EMPTY_LIST }],
  ['TreasureList', w.buildingReplyCodec, LIST],
  ['TreasureList empty', w.buildingReplyCodec, EMPTY_LIST],
  // leaderboard
  ['shard score', w.shardMessageCodec, { type: 'score', playerId: UNI, score: -BIG }],
  ['shard get', w.shardMessageCodec, { type: 'get', playerId: '' }],
  ['shard summary', w.shardMessageCodec, { type: 'summary', topN: 100 }],
  ['ShardReply void', w.shardReplyCodec, undefined],
  ['ShardReply null', w.shardReplyCodec, null],
  ['ShardReply score 0', w.shardReplyCodec, 0],
  ['ShardReply score large', w.shardReplyCodec, BIG],
  ['ShardReply score negative', w.shardReplyCodec, -42],
  ['ShardReply summary', w.shardReplyCodec, SUMMARY],
  ['ShardReply empty summary', w.shardReplyCodec, { top: [], scoresDesc: [], asOfMs: 0 }],
  ['aggregator view', w.aggregatorMessageCodec, { type: 'view', maxAgeMs: 500 }],
  ['AggregateView', w.aggregatorReplyCodec, SUMMARY],
  ['AggregateView empty', w.aggregatorReplyCodec, { top: [], scoresDesc: [], asOfMs: 0 }],
  // game
  ['game complete', w.gameMessageCodec, { type: 'complete', playerId: UNI, fixSeq: BIG }],
  ['game winner', w.gameMessageCodec, { type: 'winner' }],
  ['GameReply decided, you won', w.gameReplyCodec, { winner: { playerId: UNI, decidedAtMs: 1_781_352_000_000 }, youWon: true }],
  ['GameReply decided, someone else', w.gameReplyCodec, { winner: { playerId: 'p1', decidedAtMs: 0 }, youWon: false }],
  ['GameReply winner', w.gameReplyCodec, { playerId: 'p1', decidedAtMs: BIG }],
  ['GameReply null', w.gameReplyCodec, null],
];

const ALL_CODECS: Array<[string, Codec<any>]> = Object.entries(w).filter(([name]) => name.endsWith('Codec')) as Array<[string, Codec<any>]>;
const MESSAGE_CODECS = ALL_CODECS.filter(([name]) => name.endsWith('MessageCodec'));

/** Bytes of a message whose only field is `field` (a varint), e.g. a oneof member this build does not know. */
function onlyVarintField(field: number, value: number): Uint8Array {
  return new BinaryWriter().uint32((field << 3) | 0).uint32(value).finish();
}

function rejects(codec: Codec<any>, bytes: Uint8Array, reason: RegExp, withCause = false): void {
  assert.throws(() => codec.decode(bytes), (err: unknown) => {
    assert.ok(err instanceof HuntWireError, `expected HuntWireError, got ${String(err)}`);
    assert.match(err.message, reason);
    if (withCause) assert.ok(err.cause instanceof Error, 'the proto runtime error is the cause');
    return true;
  });
}

describe('hunt wire codecs (proto/actors.proto)', () => {
  describe('round trip, exact values', () => {
    for (const [name, codec, value] of cases) {
      it(name, () => {
        const bytes = codec.encode(value);
        assert.ok(bytes instanceof Uint8Array);
        assert.deepStrictEqual(codec.decode(bytes), value);
      });
    }
  });

  it('covers every codec the module exports', () => {
    const used = new Set(cases.map(([, codec]) => codec));
    assert.deepEqual(ALL_CODECS.filter(([, c]) => !used.has(c)).map(([n]) => n), []);
    assert.equal(ALL_CODECS.length, 12);
  });

  describe('malformed bytes are rejected with HuntWireError', () => {
    for (const [name, codec] of ALL_CODECS) {
      it(`${name}: not protobuf (cause kept)`, () => {
        // Field 1 as a length-delimited value claiming 100 bytes that are not there.
        rejects(codec, Uint8Array.from([0x0a, 0x64, 0x01]), /not a valid protobuf encoding/, true);
        rejects(codec, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /not a valid protobuf encoding/, true);
      });
    }
    for (const [name, codec] of MESSAGE_CODECS) {
      it(`${name}: empty bytes and an unknown variant (a newer node's message)`, () => {
        rejects(codec, new Uint8Array(0), /no variant set/);
        rejects(codec, onlyVarintField(15, 1), /no variant set/);
      });
    }
    it('ShardReply: an unknown variant is not read as void', () => {
      rejects(w.shardReplyCodec, onlyVarintField(15, 1), /no variant set/);
    });
    it('a truncated valid encoding', () => {
      const bytes = w.playerReplyCodec.encode(VIEW);
      rejects(w.playerReplyCodec, bytes.subarray(0, bytes.length - 3), /not a valid protobuf encoding/, true);
    });
    it('a claim result this build does not know, or unspecified', () => {
      for (const result of [pb.ClaimResult.CLAIM_RESULT_UNSPECIFIED, 99]) {
        const bytes = pb.BuildingReply.encode({ reply: { $case: 'claim', value: { result, treasureList: LIST } } }).finish();
        rejects(w.buildingReplyCodec, bytes, new RegExp(`unknown claim result ${result}`));
      }
    });
    it('an always-set submessage that is missing', () => {
      rejects(w.playerReplyCodec, pb.PlayerReply.encode({ reply: { $case: 'view', value: { ...VIEW, completedAtMs: undefined, session: undefined } } }).finish(), /view.session is missing/);
      rejects(w.buildingReplyCodec, pb.BuildingReply.encode({ reply: { $case: 'claim', value: { result: pb.ClaimResult.CLAIM_RESULT_GRANTED, treasureList: undefined } } }).finish(), /claim.treasureList is missing/);
      rejects(w.gameReplyCodec, pb.GameReply.encode({ reply: { $case: 'decided', value: { winner: undefined, youWon: true } } }).finish(), /decided.winner is missing/);
    });
    it('an integer beyond Number.MAX_SAFE_INTEGER', () => {
      // GameMessage.complete { player_id: 'p', fix_seq: 2**53 + 1 }
      const complete = new BinaryWriter().uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('p').uint32((2 << 3) | 0).uint64('9007199254740993').join().finish();
      rejects(w.gameMessageCodec, complete, /not a valid protobuf encoding/, true);
    });
  });

  describe('values without an encoding fail to encode with HuntWireError', () => {
    const bad: Array<[string, Codec<any>, unknown]> = [
      ['fractional clientSeq', w.playerMessageCodec, { type: 'fix', fix: { clientSeq: 1.5, clientTimeMs: 0, readings: [] } }],
      ['unsafe integer score', w.shardMessageCodec, { type: 'score', playerId: 'p', score: 2 ** 64 }],
      ['negative count', w.shardMessageCodec, { type: 'summary', topN: -1 }],
      ['unknown message type', w.playerMessageCodec, { type: 'teleport' }],
      ['unknown claim result', w.buildingReplyCodec, { result: 'maybe', treasureList: EMPTY_LIST }],
      ['a string where a shard reply is expected', w.shardReplyCodec, 'seven'],
      ['undefined game reply', w.gameReplyCodec, undefined],
    ];
    for (const [name, codec, value] of bad) {
      it(name, () => assert.throws(() => codec.encode(value), (err: unknown) => err instanceof HuntWireError));
    }
  });

  describe('attached to every hunt kind, and picked by the router', () => {
    const kinds = huntKinds(smallHunt());
    it('every kind in huntKinds().all has both codecs, and the named kinds are the same objects', () => {
      assert.equal(kinds.all.length, 6);
      for (const def of kinds.all) {
        assert.ok(def.messageCodec !== undefined && def.replyCodec !== undefined, `${def.name} lacks a codec`);
        assert.ok(ALL_CODECS.some(([, c]) => c === def.messageCodec) && ALL_CODECS.some(([, c]) => c === def.replyCodec), `${def.name} codecs are not wire-codecs.ts's`);
      }
      assert.deepEqual(kinds.all, [kinds.player, kinds.beacon, kinds.building, kinds.shard, kinds.aggregator, kinds.game]);
    });
    it('the router encodes a hunt message as protobuf (not msgpack) and wraps decode failures in WireCodecError', () => {
      const codecs = codecsOf(kinds.player);
      assert.notEqual(codecs.message, MSGPACK);
      const msg = { type: 'fix', fix: { clientSeq: 3, clientTimeMs: 1_781_352_000_000, readings: [{ beaconId: 'b1', rssiDbm: -60 }] } };
      const bytes = encodeWith(codecs.message, 'player', 'message', msg);
      assert.equal(pb.PlayerMessage.decode(bytes).msg?.$case, 'fix');
      assert.deepStrictEqual(decodeWith(codecs.message, 'player', 'message', bytes), msg);
      assert.throws(() => decodeWith(codecs.message, 'player', 'message', new Uint8Array(0)), (err: unknown) => err instanceof WireCodecError && err.cause instanceof HuntWireError);
    });
  });
});
