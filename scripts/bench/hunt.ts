// Benchmark suite `hunt`: fixes through player and beacon actors on one in-process node (real LMDB, no network).
// Figures: fixesPerSec.20kPlayers (wall clock), fixesPerCpuSec.20kPlayers (per CPU-second of this process: the one-core
// figure on a shared machine), fixToAwardP99Ms, claimRaceMs.500players, heapBytesPerActivePlayer.20kPlayers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateHunt } from '../../actors/hunt/generator.js';
import type { Fix } from '../../actors/hunt/fix.js';
import { HuntGame } from '../../actors/hunt/hunt-game.js';
import { huntKinds } from '../../actors/hunt/kinds.js';
import { ActorHost, memoryLogger, systemClock } from '../../actors/runtime/index.js';
import { openLmdbStore } from '../../actors/store/index.js';
import type { BenchOptions, BenchResult } from './harness.js';

const PLAYERS = 20_000;
const ROUNDS = 24;
/**
 * Fixes a player sends at one beacon before walking to the next (a phone scanning every second, dwelling ~12 s):
 * in the measured rounds every player changes beacon once (a visit through the beacon actor, a journaled award).
 */
const FIXES_PER_BEACON = 12;
const IN_FLIGHT = 4_096;
const AWARD_SAMPLES = 2_000;
/** Fixes in flight while measuring fix-to-award latency: moderate load, so the figure is the path, not a queue. */
const AWARD_CONCURRENCY = 16;
const RACERS = 500;

function gcNow(): (() => void) | undefined {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : undefined;
}

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!;
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  const hunt = generateHunt({ buildings: 20, beacons: 300, seed: 2026 });
  const kinds = huntKinds(hunt);
  const dir = mkdtempSync(join(tmpdir(), 'quarry-bench-hunt-'));
  const store = openLmdbStore({ path: dir });
  const clock = systemClock();
  // No passivation during the run: every player counted stays active.
  const host = new ActorHost({ store, clock, kinds: kinds.all, logger: memoryLogger(), passivationIdleMs: 3_600_000, askTimeoutMs: 300_000 });
  const game = new HuntGame(kinds, { system: host, clock, audit: store });
  const gc = gcNow();
  try {
    // The last building is kept out of the walks so its treasure is untouched for the claim race.
    const raceBuilding = hunt.buildings[hunt.buildings.length - 1]!;
    const walkBeacons = hunt.beacons.filter((b) => b.buildingId !== raceBuilding.id);
    const route = (player: number, leg: number) => walkBeacons[(player * 7 + leg) % walkBeacons.length]!;
    const seqs = new Uint32Array(PLAYERS + AWARD_SAMPLES);
    const fixFor = (player: number, leg: number): Fix => {
      // Strong at the beacon the player stands at, weak from the one it left and the one it heads to.
      const here = route(player, leg);
      const prev = route(player, leg + walkBeacons.length - 1);
      const next = route(player, leg + 1);
      return {
        clientSeq: ++seqs[player]!,
        clientTimeMs: Date.now(),
        readings: [
          { beaconId: here.id, rssiDbm: here.txPowerDbm - 3 - (seqs[player]! % 3) },
          { beaconId: prev.id, rssiDbm: prev.txPowerDbm - 20 },
          { beaconId: next.id, rssiDbm: next.txPowerDbm - 18 },
        ],
      };
    };
    const pid = (i: number) => `p${i}`;

    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    // Warm-up: every player enters its first beacon (activation, first visit, journal write).
    const w0 = performance.now();
    await pool(PLAYERS, IN_FLIGHT, (i) => game.reportFix(pid(i), fixFor(i, 0)));
    const warmS = (performance.now() - w0) / 1000;

    const total = PLAYERS * ROUNDS;
    let awards = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await pool(total, IN_FLIGHT, async (k) => {
      const i = k % PLAYERS;
      const round = Math.floor(k / PLAYERS) + 1;
      const ack = await game.reportFix(pid(i), fixFor(i, Math.floor(round / FIXES_PER_BEACON)));
      if (ack.awards.length > 0) awards++;
    });
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    figures['fixesPerSec.20kPlayers'] = Math.round(total / elapsedS);
    // Per CPU-second of this process (main thread, LMDB's write thread, GC): the one-core figure on a shared machine.
    figures['fixesPerCpuSec.20kPlayers'] = Math.round(total / cpuS);
    notes.push(`${total} fixes in ${elapsedS.toFixed(2)} s (${awards} with awards); warm-up of ${PLAYERS} first visits took ${warmS.toFixed(2)} s`);
    if (figures['fixesPerSec.20kPlayers']! < 50_000) notes.push('target missed: fixesPerSec >= 50000');

    await host.flush();
    if (gc) {
      gc();
      const perPlayer = Math.round((process.memoryUsage().heapUsed - heapBefore) / PLAYERS);
      figures['heapBytesPerActivePlayer.20kPlayers'] = perPlayer;
      if (perPlayer > 2_048) notes.push('target missed: heapBytesPerActivePlayer <= 2048');
    } else {
      notes.push('heapBytesPerActivePlayer not measured: gc could not be exposed');
    }

    // Fix-to-award latency at moderate load: fresh players entering a beacon (each such fix yields an award).
    const latencies: number[] = [];
    await pool(AWARD_SAMPLES, AWARD_CONCURRENCY, async (j) => {
      const i = PLAYERS + j;
      const start = performance.now();
      const ack = await game.reportFix(pid(i), fixFor(i, 0));
      if (ack.awards.length > 0) latencies.push(performance.now() - start);
    });
    if (latencies.length > 0) figures['fixToAwardP99Ms'] = Math.round(p99(latencies) * 1000) / 1000;
    else notes.push('fixToAwardP99Ms not measured: no fix produced an award');

    // 500 players reach one treasure beacon at once; the building grants exactly `capacity`.
    const treasureBeacon = hunt.beacons.find((b) => b.buildingId === raceBuilding.id && b.rules.some((r) => r.type === 'treasure'))!;
    const rule = treasureBeacon.rules.find((r) => r.type === 'treasure')! as { treasureId: string };
    const capacity = raceBuilding.treasures.find((t) => t.id === rule.treasureId)!.capacity;
    const rs = performance.now();
    const acks = await Promise.all(
      Array.from({ length: RACERS }, (_, r) =>
        game.reportFix(`racer${r}`, { clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: treasureBeacon.id, rssiDbm: treasureBeacon.txPowerDbm }] }),
      ),
    );
    figures['claimRaceMs.500players'] = Math.round((performance.now() - rs) * 1000) / 1000;
    const winners = acks.filter((a) => a.claimedTreasures.includes(rule.treasureId)).length;
    if (winners !== capacity) notes.push(`claim race: ${winners} winners for capacity ${capacity} (expected exactly ${capacity})`);
    return { figures, notes };
  } finally {
    game.close();
    await host.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `task(0..count-1)` with at most `concurrency` in flight, in index order. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
