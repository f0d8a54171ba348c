/**
 * The page's conversation with the node, without the DOM: keeps the event stream open (resuming after the
 * last seen seq when it drops), reports a simulated scan every `fixIntervalMs`, refreshes the leaderboard
 * and fetches the treasure list whenever the player enters another building.
 */
import type { BleReading } from '../../proto/gen/hunt.js';
import { GrpcWebError, Status, statusName } from './grpcweb-client.js';
import type { HuntWebClient } from './hunt-client.js';
import { buildingOfBeacon, type HuntMap } from './hunt-map.js';
import { applyEvent, applyFixAck, applyLeaderboard, applyTreasureList, countFailedFix, initialPageState, resumeRequest, type PageState } from './page-state.js';
import { makeFix, nextClientSeq } from './walk.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface SessionHooks {
  onState(state: PageState): void;
  onConnection(state: ConnectionState, detail: string): void;
  /** The server refused who we are; the session has stopped. */
  onFatal(message: string, error: GrpcWebError): void;
  /** The current simulated BLE scan (strongest first). */
  scan(): BleReading[];
}

export interface SessionOptions {
  /** @default 1000 — one scan a second, like a phone in the foreground. */
  readonly fixIntervalMs: number;
  /** @default 5000 */
  readonly leaderboardRefreshMs: number;
  /** First reconnect delay after the stream drops, doubled per failure up to `maxReconnectDelayMs`. @default 500 */
  readonly minReconnectDelayMs: number;
  /** @default 10000 */
  readonly maxReconnectDelayMs: number;
  /** @default 10 */
  readonly leaderboardTopN: number;
  /** Deadline for each unary call, in milliseconds. @default 5000 */
  readonly callTimeoutMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  fixIntervalMs: 1000,
  leaderboardRefreshMs: 5000,
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 10_000,
  leaderboardTopN: 10,
  callTimeoutMs: 5000,
};

const FATAL_CODES: ReadonlySet<number> = new Set([Status.UNAUTHENTICATED, Status.PERMISSION_DENIED]);

export function fatalMessage(err: GrpcWebError, playerId: string): string {
  if (err.code === Status.UNAUTHENTICATED) {
    return `Your token was not accepted (UNAUTHENTICATED: ${err.details}). Open the link the demo printed again, or make a new one with "quarry token issue --player ${playerId}".`;
  }
  return `This token may not play as "${playerId}" (${statusName(err.code)}: ${err.details}). Check the player in the URL.`;
}

export class PlayerSession {
  private state: PageState = initialPageState;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private fixInFlight = false;
  private clientSeq = 0;
  private readonly buildingOf: (beaconId: string) => string | undefined;
  private readonly options: SessionOptions;

  constructor(
    private readonly client: HuntWebClient,
    private readonly playerId: string,
    map: HuntMap,
    private readonly hooks: SessionHooks,
    options: Partial<SessionOptions> = {},
  ) {
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options };
    this.buildingOf = buildingOfBeacon(map);
  }

  get current(): PageState {
    return this.state;
  }

  start(): void {
    void this.streamLoop();
    void this.refreshLeaderboard();
    this.every(this.options.fixIntervalMs, () => this.sendFix());
    this.every(this.options.leaderboardRefreshMs, () => this.refreshLeaderboard());
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Reports the current scan now (after a move), unless a report is already on its way. */
  async sendFix(): Promise<void> {
    if (this.stopped || this.fixInFlight) return;
    this.fixInFlight = true;
    const now = Date.now();
    this.clientSeq = nextClientSeq(this.clientSeq, now);
    try {
      const ack = await this.client.reportFix(makeFix(this.playerId, this.clientSeq, now, this.hooks.scan()), this.call());
      const before = this.state.buildingId;
      this.update(applyFixAck(this.state, ack, this.buildingOf));
      if (this.state.buildingId !== before) void this.fetchTreasureList();
    } catch (err) {
      if (!this.handleFailure(err)) this.update(countFailedFix(this.state));
    } finally {
      this.fixInFlight = false;
    }
  }

  private async streamLoop(): Promise<void> {
    let delayMs = this.options.minReconnectDelayMs;
    while (!this.stopped) {
      const resuming = Object.keys(this.state.cursor).length > 0;
      this.hooks.onConnection(resuming ? 'reconnecting' : 'connecting', resuming ? 'resuming…' : 'connecting…');
      try {
        let announced = false;
        const live = (): void => {
          if (announced) return;
          announced = true;
          this.hooks.onConnection('live', 'live');
        };
        const stream = this.client.subscribe(resumeRequest(this.playerId, this.state), { signal: this.abort.signal, onHeaders: live });
        for await (const event of stream) {
          live();
          const before = this.state.buildingId;
          this.update(applyEvent(this.state, event, this.playerId));
          if (this.state.buildingId !== before && this.state.treasureList === undefined) void this.fetchTreasureList();
          delayMs = this.options.minReconnectDelayMs;
        }
        // A server may end a stream (drain, handoff): resume from the cursor after the shortest delay.
        delayMs = this.options.minReconnectDelayMs;
      } catch (err) {
        if (this.handleFailure(err)) return;
        this.hooks.onConnection('reconnecting', `stream lost (${(err as Error).message}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
      }
      if (this.stopped) return;
      await this.sleep(delayMs);
      delayMs = Math.min(delayMs * 2, this.options.maxReconnectDelayMs);
    }
  }

  private async refreshLeaderboard(): Promise<void> {
    if (this.stopped) return;
    try {
      // Await first: `this.state` must be read after the reply, or events applied meanwhile would be undone.
      const board = await this.client.getLeaderboard(this.playerId, this.options.leaderboardTopN, this.call());
      this.update(applyLeaderboard(this.state, board));
    } catch (err) {
      this.handleFailure(err);
    }
  }

  private async fetchTreasureList(): Promise<void> {
    const buildingId = this.state.buildingId;
    if (buildingId === undefined || this.stopped) return;
    try {
      const list = await this.client.getTreasureList(buildingId, this.call());
      this.update(applyTreasureList(this.state, list));
    } catch (err) {
      this.handleFailure(err);
    }
  }

  /** True when the failure ended the session (auth) or it was our own cancellation. */
  private handleFailure(err: unknown): boolean {
    if (this.stopped) return true;
    if (err instanceof GrpcWebError && FATAL_CODES.has(err.code)) {
      this.stop();
      this.hooks.onConnection('failed', statusName(err.code));
      this.hooks.onFatal(fatalMessage(err, this.playerId), err);
      return true;
    }
    return false;
  }

  private update(next: PageState): void {
    if (next === this.state) return;
    this.state = next;
    this.hooks.onState(next);
  }

  private call() {
    return { signal: this.abort.signal, timeoutMs: this.options.callTimeoutMs };
  }

  private every(intervalMs: number, task: () => Promise<void>): void {
    const tick = (): void => {
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        void task().finally(tick);
      }, intervalMs);
      this.timers.add(t);
    };
    tick();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}
