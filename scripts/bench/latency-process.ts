/**
 * The fix-to-event phase of `bench gateway` in a load process of its own. The bench's main process has by then run
 * the closed loops and holds their clients, tokens and garbage: its scavenges took 7–14 ms and its incremental
 * marking 15–30 ms during that phase, and every pause of the load process lands on the fixes and events in flight,
 * against Quarry and against the floor alike. A fresh process holding only this phase's 400 players keeps most of the
 * load's own pauses out of both figures.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fixToEvent, rawHuntLoad, REPLAY_WAIT_MAX_MS, Route, type LatencyResult, type SimBeacon } from './gateway-load.js';

export interface LatencyJob {
  /** host:port of the gRPC server (a Quarry node, or the bare Hunt service). */
  address: string;
  beacons: SimBeacon[];
  /** The phase's players: ids, tokens, last client_seq and last event seq seen (at this server), index for index. */
  playerIds: string[];
  tokens: string[];
  seqs: number[];
  streamSeqs: number[];
  ratePerSec: number;
  phaseMs: number;
  deadlineMs: number;
}

export interface LatencyJobResult {
  lat: LatencyResult;
  /** Each player's last client_seq after the phase, for the next phase's route. */
  seqs: number[];
  /** Each player's last event seq seen, where its stream at the same server resumes next time. */
  streamSeqs: number[];
}

type ChildReply = { ok: LatencyJobResult } | { error: string };

const CHILD_FLAG = '--quarry-bench-latency-load';

/** Slack beyond the phase's own time (streams opening, replay, the last fixes' deadline) before the child is killed, in ms. */
const CHILD_SLACK_MS = 30_000;

/**
 * Runs `job` in a forked load process and resolves with what it measured; rejects if it fails, exits without a
 * result, or is not done within the phase, the replay wait, a fix deadline and CHILD_SLACK_MS (then it is killed).
 */
export function runLatencyLoadProcess(job: LatencyJob): Promise<LatencyJobResult> {
  return new Promise((resolve, reject) => {
    // stdout stays ours: the bench's last stdout line is its JSON result.
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let reply: ChildReply | undefined;
    const limitMs = job.phaseMs + REPLAY_WAIT_MAX_MS + job.deadlineMs + CHILD_SLACK_MS;
    const timer = setTimeout(() => {
      reply = { error: `no result from the phase against ${job.address} within ${limitMs} ms; killed` };
      child.kill('SIGKILL');
    }, limitMs);
    child.once('message', (m) => (reply ??= m as ChildReply));
    child.once('error', (err) => {
      reply ??= { error: err.message };
      // A process that never started emits no 'close' to settle on.
      if (child.pid === undefined) {
        clearTimeout(timer);
        reject(new Error(`latency load process: ${err.message}`));
      }
    });
    // 'close', not 'exit': it comes after the IPC channel has been read to its end, so the reply is in by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
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
  const streamSeqs = [...job.streamSeqs];
  try {
    const lat = await fixToEvent(load, route, players, job.ratePerSec, job.phaseMs, streamSeqs);
    return { ok: { lat, seqs: route.seqs(players), streamSeqs } };
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
