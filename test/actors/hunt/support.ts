import FakeTimers from '@sinonjs/fake-timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateHunt, type HuntDefinition } from '../../../actors/hunt/definition.js';
import type { Fix } from '../../../actors/hunt/fix.js';
import { HuntGame } from '../../../actors/hunt/hunt-game.js';
import { huntKinds } from '../../../actors/hunt/kinds.js';
import type { HuntOptionsInput } from '../../../actors/hunt/options.js';
import { ActorHost, fakeClock, memoryLogger } from '../../../actors/runtime/index.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/index.js';

/** 2026-06-13 12:00 UTC: inside the hunt window, outside every time window. */
export const T0 = Date.parse('2026-06-13T12:00:00Z');
export const MIN = 60_000;

/**
 * A small hand-written hunt for exact assertions.
 * hq: h1, h2 (100 first / 10 repeat, cooldown 10 min), vault (50 first + treasure "crown", capacity 3, 300 points).
 * lab: trap (-225, doubled 13:00-14:00 UTC), l2 (40).
 */
export function smallHunt(): HuntDefinition {
  const visit = (first: number, repeat = 0) => ({ type: 'visitPoints' as const, firstVisitPoints: first, repeatVisitPoints: repeat, repeatCooldownMinutes: 10 });
  return validateHunt({
    id: 'small',
    name: 'Small hunt',
    start: '2026-06-13T10:00:00Z',
    end: '2026-06-13T22:00:00Z',
    buildings: [
      { id: 'hq', name: 'HQ', position: { xM: 0, yM: 0 }, treasures: [{ id: 'crown', name: 'Crown', capacity: 3, points: 300 }] },
      { id: 'lab', name: 'Lab', position: { xM: 200, yM: 0 } },
    ],
    beacons: [
      { id: 'h1', buildingId: 'hq', position: { xM: 0, yM: 0 }, txPowerDbm: -59, rules: [visit(100, 10)] },
      { id: 'h2', buildingId: 'hq', position: { xM: 10, yM: 0 }, txPowerDbm: -59, rules: [visit(100, 10)] },
      { id: 'vault', buildingId: 'hq', position: { xM: 20, yM: 0 }, txPowerDbm: -59, rules: [visit(50), { type: 'treasure', treasureId: 'crown' }] },
      { id: 'trap', buildingId: 'lab', position: { xM: 200, yM: 0 }, txPowerDbm: -59, rules: [visit(-225)] },
      { id: 'l2', buildingId: 'lab', position: { xM: 210, yM: 0 }, txPowerDbm: -59, rules: [visit(40)] },
    ],
    windows: [{ id: 'trap-hour', start: '2026-06-13T13:00:00Z', end: '2026-06-13T14:00:00Z', multiplier: 2, beaconIds: ['trap'] }],
    achievements: [
      { id: 'hq-complete', type: 'allBeaconsOfBuilding', buildingId: 'hq', points: 500 },
      { id: 'sprinter', type: 'distinctBeaconsWithin', count: 4, withinMinutes: 10, points: 200 },
    ],
    win: { achievements: ['hq-complete'] },
  });
}

export interface HuntHarness {
  readonly fake: ReturnType<typeof FakeTimers.createClock>;
  readonly host: ActorHost;
  readonly store: LmdbSnapshotStore;
  readonly game: HuntGame;
  readonly dir: string;
  /** Closes host and store (snapshots everything) and opens them again on the same folder: a process restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
  /** A fix 1 m from `beaconId` (its txPower as RSSI), with the harness's clock as client time. */
  fixAt(beaconId: string, clientSeq: number): Fix;
  /** Moves the fake clock, then waits until the host has handled and committed everything. */
  advance(ms: number): Promise<void>;
}

export interface HarnessOptions {
  hunt?: HuntDefinition;
  options?: HuntOptionsInput;
  passivationIdleMs?: number;
}

export async function startHunt(opts: HarnessOptions = {}): Promise<HuntHarness> {
  const hunt = opts.hunt ?? smallHunt();
  const dir = mkdtempSync(join(tmpdir(), 'quarry-hunt-'));
  const fake = FakeTimers.createClock(T0);
  const clock = fakeClock(fake);
  // Tests walk from beacon to beacon in one fix: confirmation is the hysteresis table tests' business.
  const kinds = huntKinds(hunt, { hysteresis: { confirmFixes: 1 }, ...opts.options });
  const open = () => {
    const store = openLmdbStore({ path: dir });
    const host = new ActorHost({ store, clock, kinds: kinds.all, logger: memoryLogger(), passivationIdleMs: opts.passivationIdleMs ?? 120_000 });
    return { store, host, game: new HuntGame(kinds, { system: host, clock, audit: store }) };
  };
  let parts = open();
  const h: HuntHarness = {
    fake,
    dir,
    get host() {
      return parts.host;
    },
    get store() {
      return parts.store;
    },
    get game() {
      return parts.game;
    },
    async restart() {
      parts.game.close();
      await parts.host.close();
      await parts.store.close();
      parts = open();
    },
    async close() {
      parts.game.close();
      await parts.host.close();
      await parts.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    fixAt(beaconId, clientSeq) {
      return { clientSeq, clientTimeMs: fake.now, readings: [{ beaconId, rssiDbm: hunt.beacons.find((b) => b.id === beaconId)!.txPowerDbm }] };
    },
    async advance(ms) {
      fake.tick(ms);
      await parts.host.flush();
    },
  };
  return h;
}
