/**
 * The fix-to-event phase of `bench gateway` in a load process of its own. The bench's main process has by then run
 * the closed loops and holds their clients, tokens and garbage: its scavenges took 7–14 ms and its incremental
 * marking 15–30 ms during that phase, and every pause of the load process lands on the fixes and events in flight
 * (it moved the bare floor's p99 as much as the server did). A fresh process holding only this phase's 400 players
 * keeps the load's own pauses out of the figure, for Quarry and for the floor alike.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixToEvent, rawHuntLoad, Route, type LatencyResult, type SimBeacon } from './gateway-load.js';

export interface LatencyJob {
  /** host:port of the gRPC server (a Quarry node, or the bare Hunt service). */
  address: string;
  beacons: SimBeacon[];
  /** The phase's players: ids, tokens and last client_seq, index for index. */
  playerIds: string[];
  tokens: string[];
  seqs: number[];
  ratePerSec: number;
  phaseMs: number;
  deadlineMs: number;
}

export interface LatencyJobResult {
  lat: LatencyResult;
  /** Each player's last client_seq after the phase, for the next phase's route. */
  seqs: number[];
}

type ChildReply = { ok: LatencyJobResult } | { error: string };

const CHILD_FLAG = '--quarry-bench-latency-load';

/** Runs `job` in a forked load process and resolves with what it measured; rejects if it fails or exits early. */
export function runLatencyLoadProcess(job: LatencyJob): Promise<LatencyJobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reply: ChildReply | undefined;
    child.once('message', (m) => (reply = m as ChildReply));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (reply === undefined) reject(new Error(`latency load process exited (${signal ?? code}) without a result`));
      else if ('error' in reply) reject(new Error(`latency load process: ${reply.error}`));
      else resolve(reply.ok);
    });
    child.send(job);
  });
}

async function runChild(job: LatencyJob): Promise<ChildReply> {
  const players = job.playerIds.length;
  const route = new Route(job.beacons, players, job.seqs);
  const load = rawHuntLoad(job.address, route, job.playerIds, job.tokens, job.deadlineMs);
  try {
    const lat = await fixToEvent(load, route, players, job.ratePerSec, job.phaseMs);
    return { ok: { lat, seqs: route.seqs(players) } };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    load.close();
  }
}

if (process.argv[2] === CHILD_FLAG) {
  process.once('message', (job) => {
    void runChild(job as LatencyJob).then((reply) => process.send!(reply, () => process.exit(0)));
  });
}
