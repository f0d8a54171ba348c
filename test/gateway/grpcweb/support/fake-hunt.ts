/**
 * A small Hunt implementation for protocol tests: real auth checks, observable state, and hooks to
 * drive a server stream message by message and to see cancellation arrive.
 */
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { Event, HuntService, type Fix, type FixAck, type HuntServer, type Leaderboard, type LeaderboardRequest, type SubscribeRequest, type TreasureList, type TreasureListRequest } from '../../../../proto/gen/hunt.js';
import { authErrorToGrpc, authorizePlayer, type TokenVerifier } from '../../../../gateway/auth/index.js';
import type { ServiceBinding } from '../../../../gateway/grpcweb/index.js';

/** Beacon id that makes ReportFix never answer, so deadlines and cancellation can be observed. */
export const HANG_BEACON = 'hang';
/** Building id whose lookup fails with NOT_FOUND and a non-ASCII message. */
export const MISSING_BUILDING = 'nowhere';

export class FakeHunt {
  readonly acceptedFixes: Fix[] = [];
  readonly cancelled: string[] = [];
  private readonly streams = new Map<string, ServerWritableStream<SubscribeRequest, Event>>();
  private waiters: Array<() => void> = [];

  constructor(private readonly verifier: TokenVerifier) {}

  binding(): ServiceBinding {
    const impl: HuntServer = {
      reportFix: (call, cb) => void this.reportFix(call, cb),
      subscribe: (call) => void this.subscribe(call),
      getTreasureList: (call, cb) => this.getTreasureList(call, cb),
      getLeaderboard: (call, cb) => void this.getLeaderboard(call, cb),
    };
    return { definition: HuntService, implementation: impl };
  }

  /** Resolves once `test()` holds; re-checked after every state change. */
  until(phase: string, test: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`${phase}: condition not met within ${timeoutMs} ms (streams open: ${[...this.streams.keys()].join(',') || 'none'}; cancelled: ${this.cancelled.join(',') || 'none'}; fixes: ${this.acceptedFixes.length})`));
      }, timeoutMs);
      const check = (): void => {
        if (!test()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  isStreaming(playerId: string): boolean {
    return this.streams.has(playerId);
  }

  push(playerId: string, event: Event): void {
    this.stream(playerId).write(event);
  }

  end(playerId: string, trailers?: Metadata): void {
    const s = this.stream(playerId);
    this.streams.delete(playerId);
    s.end(trailers);
  }

  private stream(playerId: string): ServerWritableStream<SubscribeRequest, Event> {
    const s = this.streams.get(playerId);
    if (!s) throw new Error(`no open stream for ${playerId}`);
    return s;
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }

  private async reportFix(call: ServerUnaryCall<Fix, FixAck>, cb: sendUnaryData<FixAck>): Promise<void> {
    try {
      await authorizePlayer(call.metadata, this.verifier, call.request.playerId);
    } catch (err) {
      return cb(authErrorToGrpc(err) ?? { code: status.INTERNAL, details: String(err) });
    }
    if (call.request.readings.some((r) => r.beaconId === HANG_BEACON)) {
      call.on('cancelled', () => {
        this.cancelled.push(`fix:${call.request.playerId}`);
        this.changed();
      });
      return;
    }
    if (call.request.readings.some((r) => !Number.isFinite(r.rssiDbm))) {
      return cb({ code: status.INVALID_ARGUMENT, details: 'rssi must be finite' });
    }
    this.acceptedFixes.push(call.request);
    this.changed();
    const trailers = new Metadata();
    trailers.set('x-fix-count', String(this.acceptedFixes.length));
    cb(null, { accepted: true, closestBeaconId: call.request.readings[0]?.beaconId ?? '', score: this.acceptedFixes.length * 10, awards: [], achievements: [], claimedTreasures: [] }, trailers);
  }

  private async subscribe(call: ServerWritableStream<SubscribeRequest, Event>): Promise<void> {
    try {
      await authorizePlayer(call.metadata, this.verifier, call.request.playerId);
    } catch (err) {
      call.emit('error', authErrorToGrpc(err) ?? { code: status.INTERNAL, details: String(err) });
      return;
    }
    const playerId = call.request.playerId;
    call.on('cancelled', () => {
      this.streams.delete(playerId);
      this.cancelled.push(`subscribe:${playerId}`);
      this.changed();
    });
    this.streams.set(playerId, call);
    call.write(Event.fromPartial({ seq: call.request.afterSeq + 1, atMs: 1_000, body: { $case: 'buildingEntered', value: 'hq' } }));
    this.changed();
  }

  private getTreasureList(call: ServerUnaryCall<TreasureListRequest, TreasureList>, cb: sendUnaryData<TreasureList>): void {
    if (call.request.buildingId === MISSING_BUILDING) return cb({ code: status.NOT_FOUND, details: `unknown building “${MISSING_BUILDING}” (100% sure)` });
    const md = new Metadata();
    md.set('x-building', call.request.buildingId);
    call.sendMetadata(md);
    cb(null, { buildingId: call.request.buildingId, version: 3, treasures: [{ id: 't1', name: 'Golden ✓ key', capacity: 2, claimedBy: ['alice'] }] });
  }

  private async getLeaderboard(call: ServerUnaryCall<LeaderboardRequest, Leaderboard>, cb: sendUnaryData<Leaderboard>): Promise<void> {
    try {
      await authorizePlayer(call.metadata, this.verifier, call.request.playerId);
    } catch (err) {
      return cb(authErrorToGrpc(err) ?? { code: status.INTERNAL, details: String(err) });
    }
    cb(null, { top: [{ playerId: 'alice', score: 10, rank: 1 }], own: { playerId: call.request.playerId, score: 10, rank: 1 }, asOfMs: 5 });
  }
}
