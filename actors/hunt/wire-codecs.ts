import * as pb from '../../proto/gen/actors.js';
import type { Award as PbAward, TreasureList as PbTreasureList, Winner as PbWinner } from '../../proto/gen/hunt.js';
import type { Codec } from '../runtime/types.js';
import type { Fix } from './fix.js';
import type {
  AggregateView, AggregatorMsg, Award, BuildingMsg, BuildingReply, ClaimResult, FixAck, GameMsg, GameReply, PlayerMsg, PlayerReply,
  PlayerView, ShardMsg, ShardReply, ShardSummary, TreasureList, VisitMsg, VisitReply, Winner,
} from './messages.js';

/**
 * Protobuf codecs (proto/actors.proto) for the hunt kinds' messages and replies as they cross nodes. Each maps the
 * TS value of messages.ts to its generated message and back exactly: `null` ↔ absent `optional` field or `Nothing`
 * variant, a TS union ↔ a oneof, an omitted `gps` stays omitted. Decoding rejects bytes that are not protobuf, a
 * message without a variant, a missing always-set submessage and an unknown enum value, with HuntWireError (the
 * router wraps it in WireCodecError). A non-integer or unsafe integer in an integer field fails to encode (the proto
 * runtime refuses it) instead of arriving rounded.
 */

/** Bytes that do not decode to a hunt message or reply, or a value that has no encoding. */
export class HuntWireError extends Error {
  override readonly name = 'HuntWireError';
  constructor(readonly what: string, reason: string, options?: { cause?: unknown }) {
    super(`${what}: ${reason}`, options);
  }
}

function protoCodec<T, P>(what: string, fns: pb.MessageFns<P>, toProto: (value: T) => NoInfer<P>, fromProto: (p: NoInfer<P>, bytes: Uint8Array) => T): Codec<T> {
  return {
    encode: (value) => {
      try {
        return fns.encode(toProto(value)).finish();
      } catch (cause) {
        if (cause instanceof HuntWireError) throw cause;
        // The proto runtime refuses e.g. 1.5 or 2**60 in an integer field, and a missing field of a wrong-shaped value.
        throw new HuntWireError(what, 'value cannot be encoded', { cause });
      }
    },
    decode: (bytes) => {
      let p: P;
      try {
        p = fns.decode(bytes);
      } catch (cause) {
        throw new HuntWireError(what, 'not a valid protobuf encoding', { cause });
      }
      return fromProto(p, bytes);
    },
  };
}

const NOTHING: pb.Nothing = {};
const nullable = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const optional = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function required<T>(what: string, field: string, v: T | undefined): T {
  if (v === undefined) throw new HuntWireError(what, `${field} is missing`);
  return v;
}

function noVariant(what: string): never {
  throw new HuntWireError(what, 'no variant set (empty, or written by a newer node)');
}

function badValue(what: string, value: unknown): never {
  throw new HuntWireError(what, `no encoding for ${JSON.stringify(value)?.slice(0, 120) ?? String(value)}`);
}

/** `value: never`: a new variant of a message union is a compile error here until it has a proto variant. */
function unknownType(what: string, value: never): never {
  return badValue(what, value);
}

// Awards, treasure lists and winners are hunt.v1's messages as they are: copied field by field so a TS value with
// extra properties encodes the same, and a decoded one has exactly the TS fields. Arrays of scalars go to the encoder as
// they are (it only reads them); decoded ones are fresh.
const awardOut = (a: Award): PbAward => ({ beaconId: a.beaconId, points: a.points, reason: a.reason });
const awardIn = (a: PbAward): Award => ({ beaconId: a.beaconId, points: a.points, reason: a.reason });
const listOut = (l: TreasureList): PbTreasureList => ({
  buildingId: l.buildingId,
  version: l.version,
  treasures: l.treasures.map((t) => ({ id: t.id, name: t.name, capacity: t.capacity, claimedBy: t.claimedBy })),
});
const listIn = (l: PbTreasureList): TreasureList => ({
  buildingId: l.buildingId,
  version: l.version,
  treasures: l.treasures.map((t) => ({ id: t.id, name: t.name, capacity: t.capacity, claimedBy: t.claimedBy })),
});
const winnerOut = (w: Winner): PbWinner => ({ playerId: w.playerId, decidedAtMs: w.decidedAtMs });
const winnerIn = (w: PbWinner): Winner => ({ playerId: w.playerId, decidedAtMs: w.decidedAtMs });
const entriesOut = (top: ReadonlyArray<{ playerId: string; score: number }>): pb.ScoreEntry[] => top.map((e) => ({ playerId: e.playerId, score: e.score }));
const entriesIn = (top: pb.ScoreEntry[]): Array<{ playerId: string; score: number }> => top.map((e) => ({ playerId: e.playerId, score: e.score }));

// --- player ------------------------------------------------------------------------------------------------------

function fixOut(f: Fix): pb.PlayerFix {
  return {
    clientSeq: f.clientSeq,
    clientTimeMs: f.clientTimeMs,
    readings: f.readings.map((r) => ({ beaconId: r.beaconId, rssiDbm: r.rssiDbm })),
    gps: f.gps === undefined ? undefined : { lat: f.gps.lat, lon: f.gps.lon, accuracyM: f.gps.accuracyM },
  };
}

function fixIn(f: pb.PlayerFix): Fix {
  const readings = f.readings.map((r) => ({ beaconId: r.beaconId, rssiDbm: r.rssiDbm }));
  const base = { clientSeq: f.clientSeq, clientTimeMs: f.clientTimeMs, readings };
  return f.gps === undefined ? base : { ...base, gps: { lat: f.gps.lat, lon: f.gps.lon, accuracyM: f.gps.accuracyM } };
}

function fixAckOut(a: FixAck): pb.FixAck {
  return { accepted: a.accepted, closestBeaconId: optional(a.closestBeaconId), score: a.score, awards: a.awards.map(awardOut), achievements: a.achievements, claimedTreasures: a.claimedTreasures };
}

function fixAckIn(a: pb.FixAck): FixAck {
  return { accepted: a.accepted, closestBeaconId: nullable(a.closestBeaconId), score: a.score, awards: a.awards.map(awardIn), achievements: a.achievements, claimedTreasures: a.claimedTreasures };
}

function viewOut(v: PlayerView): pb.PlayerView {
  const s = v.session;
  return {
    playerId: v.playerId, score: v.score, achievements: v.achievements, claims: v.claims, visitedBeacons: v.visitedBeacons, lastSeq: v.lastSeq,
    completedAtMs: optional(v.completedAtMs),
    session: { lastSeq: s.lastSeq, currentBeaconId: optional(s.currentBeaconId), buildingId: optional(s.buildingId), trackedBeacons: s.trackedBeacons },
  };
}

function viewIn(v: pb.PlayerView): PlayerView {
  const s = required('PlayerReply', 'view.session', v.session);
  return {
    playerId: v.playerId, score: v.score, achievements: v.achievements, claims: v.claims, visitedBeacons: v.visitedBeacons, lastSeq: v.lastSeq,
    completedAtMs: nullable(v.completedAtMs),
    session: { lastSeq: s.lastSeq, currentBeaconId: nullable(s.currentBeaconId), buildingId: nullable(s.buildingId), trackedBeacons: s.trackedBeacons },
  };
}

export const playerMessageCodec: Codec<PlayerMsg> = protoCodec('PlayerMessage', pb.PlayerMessage,
  (m): pb.PlayerMessage => {
    if (m.type === 'fix') return { msg: { $case: 'fix', value: fixOut(m.fix) } };
    if (m.type === 'profile') return { msg: { $case: 'profile', value: NOTHING } };
    return unknownType('PlayerMessage', m);
  },
  (p) => {
    if (p.msg?.$case === 'fix') return { type: 'fix', fix: fixIn(p.msg.value) };
    if (p.msg?.$case === 'profile') return { type: 'profile' };
    return noVariant('PlayerMessage');
  });

/** A FixAck has `accepted`, a PlayerView `playerId` (the reply carries no tag of its own). */
export const playerReplyCodec: Codec<PlayerReply> = protoCodec('PlayerReply', pb.PlayerReply,
  (r): pb.PlayerReply => {
    if (r !== null && typeof r === 'object' && 'accepted' in r) return { reply: { $case: 'fixAck', value: fixAckOut(r) } };
    if (r !== null && typeof r === 'object' && 'playerId' in r) return { reply: { $case: 'view', value: viewOut(r) } };
    return badValue('PlayerReply', r);
  },
  (p) => {
    if (p.reply?.$case === 'fixAck') return fixAckIn(p.reply.value);
    if (p.reply?.$case === 'view') return viewIn(p.reply.value);
    return noVariant('PlayerReply');
  });

// --- beacon ------------------------------------------------------------------------------------------------------

export const beaconMessageCodec: Codec<VisitMsg> = protoCodec('BeaconMessage', pb.BeaconMessage,
  (m): pb.BeaconMessage => {
    if (m.type !== 'visit') return badValue('BeaconMessage', m);
    return { msg: { $case: 'visit', value: { playerId: m.playerId, fixSeq: m.fixSeq, atMs: m.atMs, firstVisit: m.firstVisit, lastPointsAtMs: optional(m.lastPointsAtMs) } } };
  },
  (p) => {
    if (p.msg?.$case !== 'visit') return noVariant('BeaconMessage');
    const v = p.msg.value;
    return { type: 'visit', playerId: v.playerId, fixSeq: v.fixSeq, atMs: v.atMs, firstVisit: v.firstVisit, lastPointsAtMs: nullable(v.lastPointsAtMs) };
  });

export const beaconReplyCodec: Codec<VisitReply> = protoCodec('VisitReply', pb.VisitReply,
  (r): pb.VisitReply => ({ inHunt: r.inHunt, awards: r.awards.map(awardOut), treasureIds: r.treasureIds }),
  (p) => ({ inHunt: p.inHunt, awards: p.awards.map(awardIn), treasureIds: p.treasureIds }));

// --- building ----------------------------------------------------------------------------------------------------

const CLAIM_RESULT_OUT: Record<ClaimResult, pb.ClaimResult> = {
  granted: pb.ClaimResult.CLAIM_RESULT_GRANTED,
  alreadyClaimed: pb.ClaimResult.CLAIM_RESULT_ALREADY_CLAIMED,
  soldOut: pb.ClaimResult.CLAIM_RESULT_SOLD_OUT,
  unknownTreasure: pb.ClaimResult.CLAIM_RESULT_UNKNOWN_TREASURE,
};
const CLAIM_RESULT_IN = new Map<number, ClaimResult>(Object.entries(CLAIM_RESULT_OUT).map(([k, v]) => [v, k as ClaimResult]));

export const buildingMessageCodec: Codec<BuildingMsg> = protoCodec('BuildingMessage', pb.BuildingMessage,
  (m): pb.BuildingMessage => {
    if (m.type === 'claim') return { msg: { $case: 'claim', value: { playerId: m.playerId, treasureId: m.treasureId, beaconId: m.beaconId, fixSeq: m.fixSeq, atMs: m.atMs } } };
    if (m.type === 'list') return { msg: { $case: 'list', value: NOTHING } };
    return unknownType('BuildingMessage', m);
  },
  (p) => {
    if (p.msg?.$case === 'claim') {
      const c = p.msg.value;
      return { type: 'claim', playerId: c.playerId, treasureId: c.treasureId, beaconId: c.beaconId, fixSeq: c.fixSeq, atMs: c.atMs };
    }
    if (p.msg?.$case === 'list') return { type: 'list' };
    return noVariant('BuildingMessage');
  });

/** A ClaimReply has `result`; a bare TreasureList does not. */
export const buildingReplyCodec: Codec<BuildingReply> = protoCodec('BuildingReply', pb.BuildingReply,
  (r): pb.BuildingReply => {
    if (r === null || typeof r !== 'object') return badValue('BuildingReply', r);
    if ('result' in r) {
      const result = CLAIM_RESULT_OUT[r.result];
      if (result === undefined) return badValue('BuildingReply.claim.result', r.result);
      return { reply: { $case: 'claim', value: { result, treasureList: listOut(r.treasureList) } } };
    }
    return { reply: { $case: 'treasureList', value: listOut(r) } };
  },
  (p) => {
    if (p.reply?.$case === 'claim') {
      const c = p.reply.value;
      const result = CLAIM_RESULT_IN.get(c.result);
      if (result === undefined) throw new HuntWireError('BuildingReply', `unknown claim result ${c.result}`);
      return { result, treasureList: listIn(required('BuildingReply', 'claim.treasureList', c.treasureList)) };
    }
    if (p.reply?.$case === 'treasureList') return listIn(p.reply.value);
    return noVariant('BuildingReply');
  });

// --- leaderboard -------------------------------------------------------------------------------------------------

export const shardMessageCodec: Codec<ShardMsg> = protoCodec('ShardMessage', pb.ShardMessage,
  (m): pb.ShardMessage => {
    switch (m.type) {
      case 'score': return { msg: { $case: 'score', value: { playerId: m.playerId, score: m.score } } };
      case 'get': return { msg: { $case: 'get', value: { playerId: m.playerId } } };
      case 'summary': return { msg: { $case: 'summary', value: { topN: m.topN } } };
      default: return unknownType('ShardMessage', m);
    }
  },
  (p) => {
    switch (p.msg?.$case) {
      case 'score': return { type: 'score', playerId: p.msg.value.playerId, score: p.msg.value.score };
      case 'get': return { type: 'get', playerId: p.msg.value.playerId };
      case 'summary': return { type: 'summary', topN: p.msg.value.topN };
      default: return noVariant('ShardMessage');
    }
  });

const summaryOut = (s: ShardSummary | AggregateView): pb.ShardSummary => ({ top: entriesOut(s.top), scoresDesc: s.scoresDesc, asOfMs: s.asOfMs });
const summaryIn = (s: pb.ShardSummary): ShardSummary => ({ top: entriesIn(s.top), scoresDesc: s.scoresDesc, asOfMs: s.asOfMs });

/**
 * `undefined` (the answer to `score`) is the empty message. Non-empty bytes without a known variant come from a
 * newer node (an unknown oneof member is skipped as an unknown field) and are rejected, not read as `undefined`.
 */
export const shardReplyCodec: Codec<ShardReply> = protoCodec('ShardReply', pb.ShardReply,
  (r): pb.ShardReply => {
    if (r === undefined) return { reply: undefined };
    if (r === null) return { reply: { $case: 'none', value: NOTHING } };
    if (typeof r === 'number') return { reply: { $case: 'score', value: r } };
    if (typeof r === 'object' && Array.isArray(r.scoresDesc)) return { reply: { $case: 'summary', value: summaryOut(r) } };
    return badValue('ShardReply', r);
  },
  (p, bytes) => {
    switch (p.reply?.$case) {
      case undefined: return bytes.length === 0 ? undefined : noVariant('ShardReply');
      case 'none': return null;
      case 'score': return p.reply.value;
      case 'summary': return summaryIn(p.reply.value);
    }
  });

export const aggregatorMessageCodec: Codec<AggregatorMsg> = protoCodec('AggregatorMessage', pb.AggregatorMessage,
  (m): pb.AggregatorMessage => (m.type === 'view' ? { msg: { $case: 'view', value: { maxAgeMs: m.maxAgeMs } } } : badValue('AggregatorMessage', m)),
  (p) => (p.msg?.$case === 'view' ? { type: 'view', maxAgeMs: p.msg.value.maxAgeMs } : noVariant('AggregatorMessage')));

export const aggregatorReplyCodec: Codec<AggregateView> = protoCodec('AggregateView', pb.AggregateView,
  (v): pb.AggregateView => summaryOut(v),
  (p) => ({ top: entriesIn(p.top), scoresDesc: p.scoresDesc, asOfMs: p.asOfMs }));

// --- game --------------------------------------------------------------------------------------------------------

export const gameMessageCodec: Codec<GameMsg> = protoCodec('GameMessage', pb.GameMessage,
  (m): pb.GameMessage => {
    if (m.type === 'complete') return { msg: { $case: 'complete', value: { playerId: m.playerId, fixSeq: m.fixSeq } } };
    if (m.type === 'winner') return { msg: { $case: 'winner', value: NOTHING } };
    return unknownType('GameMessage', m);
  },
  (p) => {
    if (p.msg?.$case === 'complete') return { type: 'complete', playerId: p.msg.value.playerId, fixSeq: p.msg.value.fixSeq };
    if (p.msg?.$case === 'winner') return { type: 'winner' };
    return noVariant('GameMessage');
  });

/** `{ winner, youWon }` answers `complete`; a bare Winner or null answers `winner`. */
export const gameReplyCodec: Codec<GameReply> = protoCodec('GameReply', pb.GameReply,
  (r): pb.GameReply => {
    if (r === null) return { reply: { $case: 'none', value: NOTHING } };
    if (typeof r === 'object' && 'youWon' in r) return { reply: { $case: 'decided', value: { winner: winnerOut(r.winner), youWon: r.youWon } } };
    if (typeof r === 'object' && 'decidedAtMs' in r) return { reply: { $case: 'winner', value: winnerOut(r) } };
    return badValue('GameReply', r);
  },
  (p) => {
    switch (p.reply?.$case) {
      case 'none': return null;
      case 'decided': return { winner: winnerIn(required('GameReply', 'decided.winner', p.reply.value.winner)), youWon: p.reply.value.youWon };
      case 'winner': return winnerIn(p.reply.value);
      default: return noVariant('GameReply');
    }
  });
