/**
 * A small in-memory Hunt service (grpc-js handlers) for the page's tests, until the real game is wired to
 * the edge: the strongest reading's beacon is "visited"; its definition's visitPoints and treasure rules
 * award points and claim treasures. Events follow the notifier's contract (gateway/notify/notifier.ts): personal
 * events on `user.<id>`, treasure lists on `building.<id>` to the players inside, one seq counter shared by
 * all channels and `prevSeq` chaining each channel. Auth is the real one (gateway/auth).
 * Test hooks: `endStreams()` and `loseNextEvent()` for resume and gap tests.
 */
import { Metadata, status, type ServiceError, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { HuntDefinition } from '../../../../actors/hunt/index.js';
import { authErrorToGrpc, authorizePlayer, type TokenVerifier } from '../../../../gateway/auth/index.js';
import type { Event, Fix, FixAck, HuntServer, Leaderboard, LeaderboardRequest, SubscribeRequest, TreasureList, TreasureListRequest } from '../../../../proto/gen/hunt.js';

interface PlayerRecord {
  score: number;
  lastClientSeq: number;
  visited: Set<string>;
  buildingId: string | undefined;
  streams: Set<ServerWritableStream<SubscribeRequest, Event>>;
}

export interface FakeHunt {
  readonly implementation: HuntServer;
  /** Ends every open Subscribe stream with OK (as a draining node would); clients should resume. */
  endStreams(): void;
  /** The next event on the player's personal channel is published but never delivered (lost beyond retention). */
  loseNextEvent(playerId: string): void;
  /** Seqs sent on `Subscribe` calls so far (what clients resumed from). */
  readonly subscribeRequests: SubscribeRequest[];
  player(playerId: string): Readonly<PlayerRecord> | undefined;
  openStreams(): number;
}

function grpcError(code: status, details: string) {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

export function createFakeHunt(hunt: HuntDefinition, verifier: TokenVerifier): FakeHunt {
  const players = new Map<string, PlayerRecord>();
  const beacons = new Map(hunt.beacons.map((b) => [b.id, b]));
  const lists = new Map<string, TreasureList>(
    hunt.buildings.map((b) => [b.id, { buildingId: b.id, version: 1, treasures: b.treasures.map((t) => ({ id: t.id, name: t.name, capacity: t.capacity, claimedBy: [] })) }]),
  );

  const channels = new Map<string, Event[]>();
  const chainEnd = new Map<string, number>();
  const losing = new Set<string>();
  const subscribeRequests: SubscribeRequest[] = [];
  let lastSeq = 0;

  const playerOf = (id: string): PlayerRecord => {
    let p = players.get(id);
    if (p === undefined) {
      p = { score: 0, lastClientSeq: 0, visited: new Set(), buildingId: undefined, streams: new Set() };
      players.set(id, p);
    }
    return p;
  };

  const publish = (channel: string, body: Event['body'], to: Iterable<PlayerRecord>): void => {
    const retained = channels.get(channel) ?? [];
    channels.set(channel, retained);
    const event: Event = { seq: ++lastSeq, atMs: Date.now(), body, channel, prevSeq: chainEnd.get(channel) ?? 0 };
    chainEnd.set(channel, event.seq);
    if (losing.delete(channel)) {
      // Lost beyond retention: nothing before it is retained any more, and nobody receives it.
      retained.length = 0;
      return;
    }
    retained.push(event);
    for (const p of to) for (const s of p.streams) s.write(event);
  };

  const emit = (playerId: string, body: Event['body']): void => publish(`user.${playerId}`, body, [playerOf(playerId)]);

  const leaderboard = (playerId: string, topN: number): Leaderboard => {
    const ranked = [...players.entries()].filter(([, p]) => p.score > 0).sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
    const entries = ranked.map(([id, p], i) => ({ playerId: id, score: p.score, rank: i + 1 }));
    const own = entries.find((e) => e.playerId === playerId) ?? { playerId, score: 0, rank: 0 };
    return { top: entries.slice(0, topN), own, asOfMs: Date.now() };
  };

  /** Runs `work` after the caller proved who they are; auth failures answer with their gRPC status. */
  const authed = <T>(metadata: Metadata, playerId: string | undefined, cb: sendUnaryData<T>, work: () => T): void => {
    authorizePlayer(metadata, verifier, playerId).then(
      () => {
        try {
          cb(null, work());
        } catch (err) {
          cb(err as ServiceError);
        }
      },
      (err: unknown) => cb((authErrorToGrpc(err) ?? grpcError(status.INTERNAL, 'auth check failed')) as ServiceError),
    );
  };

  const visit = (playerId: string, fix: Fix): FixAck => {
    const p = playerOf(playerId);
    if (fix.clientSeq <= p.lastClientSeq) return { accepted: false, closestBeaconId: '', score: p.score, awards: [], achievements: [], claimedTreasures: [] };
    p.lastClientSeq = fix.clientSeq;
    for (const r of fix.readings) {
      if (!beacons.has(r.beaconId)) throw grpcError(status.INVALID_ARGUMENT, `readings: unknown beacon "${r.beaconId.slice(0, 64)}"`);
      if (!Number.isFinite(r.rssiDbm)) throw grpcError(status.INVALID_ARGUMENT, 'readings: rssiDbm must be finite');
    }
    const strongest = [...fix.readings].sort((a, b) => b.rssiDbm - a.rssiDbm)[0];
    if (strongest === undefined) return { accepted: true, closestBeaconId: '', score: p.score, awards: [], achievements: [], claimedTreasures: [] };
    const beacon = beacons.get(strongest.beaconId)!;
    const ack: FixAck = { accepted: true, closestBeaconId: beacon.id, score: p.score, awards: [], achievements: [], claimedTreasures: [] };
    if (p.buildingId !== beacon.buildingId) {
      p.buildingId = beacon.buildingId;
      emit(playerId, { $case: 'buildingEntered', value: beacon.buildingId });
    }
    if (p.visited.has(beacon.id)) return ack;
    p.visited.add(beacon.id);
    for (const rule of beacon.rules) {
      if (rule.type === 'visitPoints') {
        const award = { beaconId: beacon.id, points: rule.firstVisitPoints, reason: 'first visit' };
        p.score += award.points;
        ack.awards.push(award);
        emit(playerId, { $case: 'award', value: award });
      } else {
        const list = lists.get(beacon.buildingId)!;
        const item = list.treasures.find((t) => t.id === rule.treasureId)!;
        if (item.claimedBy.length >= item.capacity || item.claimedBy.includes(playerId)) continue;
        item.claimedBy.push(playerId);
        list.version += 1;
        ack.claimedTreasures.push(item.id);
        const inside = [...players.values()].filter((other) => other.buildingId === beacon.buildingId);
        publish(`building.${beacon.buildingId}`, { $case: 'treasureList', value: structuredClone(list) }, inside);
      }
    }
    ack.score = p.score;
    emit(playerId, { $case: 'leaderboard', value: leaderboard(playerId, 10) });
    return ack;
  };

  const implementation: HuntServer = {
    reportFix(call: ServerUnaryCall<Fix, FixAck>, cb: sendUnaryData<FixAck>) {
      authed(call.metadata, call.request.playerId, cb, () => visit(call.request.playerId, call.request));
    },
    subscribe(call: ServerWritableStream<SubscribeRequest, Event>) {
      const { playerId, afterSeq, cursors } = call.request;
      subscribeRequests.push(call.request);
      authorizePlayer(call.metadata, verifier, playerId).then(
        () => {
          if (call.cancelled) return;
          const p = playerOf(playerId);
          const replay = (channel: string, after: number) => {
            for (const e of channels.get(channel) ?? []) if (e.seq > after) call.write(e);
          };
          replay(`user.${playerId}`, afterSeq);
          for (const c of cursors) if (c.channel === `building.${p.buildingId}`) replay(c.channel, c.afterSeq);
          p.streams.add(call);
          call.on('cancelled', () => p.streams.delete(call));
          // Headers now tell the client the subscription is in place, before any event.
          call.sendMetadata(new Metadata());
        },
        (err: unknown) => call.destroy(authErrorToGrpc(err) as Error),
      );
    },
    getTreasureList(call: ServerUnaryCall<TreasureListRequest, TreasureList>, cb: sendUnaryData<TreasureList>) {
      authed(call.metadata, undefined, cb, () => {
        const list = lists.get(call.request.buildingId);
        if (list === undefined) throw grpcError(status.NOT_FOUND, `buildingId: unknown building "${call.request.buildingId.slice(0, 64)}"`);
        return structuredClone(list);
      });
    },
    getLeaderboard(call: ServerUnaryCall<LeaderboardRequest, Leaderboard>, cb: sendUnaryData<Leaderboard>) {
      authed(call.metadata, call.request.playerId, cb, () => leaderboard(call.request.playerId, call.request.topN));
    },
  };

  return {
    implementation,
    endStreams() {
      for (const p of players.values()) {
        for (const s of p.streams) s.end();
        p.streams.clear();
      }
    },
    loseNextEvent(playerId) {
      losing.add(`user.${playerId}`);
    },
    subscribeRequests,
    player: (id) => players.get(id),
    openStreams: () => [...players.values()].reduce((n, p) => n + p.streams.size, 0),
  };
}
