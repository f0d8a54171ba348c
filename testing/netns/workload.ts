/**
 * The workload of a nemesis run, with an exact ledger, through the public gRPC API only: it runs in the clients'
 * namespace (testing/netns/agent.ts, forked through `ip netns exec`), so every byte it sends crosses the test's
 * bridge. It drives the load generator's players (scripts/loadgen: acked fixes per player with their awards, checked
 * against the committed scores; the treasure claims their acks report), and beside them:
 * - probes: a few players per node expected to serve, each sending a fix to its node every `PROBE_TICK_MS`; a tick in
 *   which one failed counts towards `unavailableMs` (how long the serving side refused fixes);
 * - an activation watch: every node's active actors (Admin Search, answered locally) each `ACTIVATION_POLL_MS`
 *   (testing/netns/invariants.ts, `ActivationWatch`);
 * - at the end, every building's treasure list, against the claims the acks reported.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NetnsCluster } from './cluster.js';
import type { InvariantFigures } from './invariants.js';

const AGENT_JS = fileURLToPath(new URL('./agent.js', import.meta.url));

export interface WorkloadOptions {
  /** host:port of every node's gRPC listener: players talk to target i mod n first, then fail over in order. */
  targets: string[];
  /** The nodes that must keep serving through the fault (probed for `unavailableMs`). */
  servingTargets: string[];
  players: number;
  fixIntervalMs: number;
  rampUpS: number;
  /** The measured window; the fault is timed from its start. */
  durationS: number;
  /** Player ids start with it; a fresh prefix per scenario keeps scenarios on one cluster apart. */
  playerPrefix: string;
}

export interface WorkloadReport extends InvariantFigures {
  fixesSent: number;
  fixesAcked: number;
  /** Players whose ledger had a link that could not be checked (a fix of unknown outcome before an ack). */
  unverifiedPlayers: number;
  ackedClaims: number;
  /** Probe ticks in the window in which a fix to a serving node failed, times the tick. */
  unavailableMs: number;
  probeTicks: number;
  /** Up to 10 keys seen with two activations, with the nodes (`player/x: 10.231.0.11:7100,10.231.0.12:7100`). */
  duplicateActivationKeys: string[];
  /** Per status, the first message a client saw with it. */
  firstFailureDetails: Record<string, string>;
}

export type ToAgent = { type: 'run'; options: WorkloadOptions };
export type FromAgent = { type: 'window'; atMs: number } | { type: 'done'; report: WorkloadReport } | { type: 'failed'; message: string };

export class WorkloadError extends Error {
  override readonly name = 'WorkloadError';
}

/**
 * Runs the workload in `c`'s clients namespace. `onWindowOpen` is called when the measured window opens (the fault
 * schedule starts there); resolves with the report once the ledger, the claims and the activations are checked.
 */
export function runWorkload(c: NetnsCluster, options: WorkloadOptions, onWindowOpen: (atMs: number) => void): Promise<WorkloadReport> {
  const [ip, ...prefix] = c.network.exec(c.clients, [process.execPath]);
  const child = fork(AGENT_JS, [], { execPath: ip!, execArgv: prefix, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise<WorkloadReport>((resolve, reject) => {
    child.on('message', (m: FromAgent) => {
      if (m.type === 'window') onWindowOpen(m.atMs);
      else if (m.type === 'done') resolve(m.report);
      else reject(new WorkloadError(`workload agent failed: ${m.message}`));
    });
    child.once('error', (err) => reject(new WorkloadError(`workload agent: ${err.message}`, { cause: err })));
    child.once('exit', (code, signal) => reject(new WorkloadError(`workload agent exited (code ${code}, signal ${signal}) before it reported`)));
    child.send({ type: 'run', options } satisfies ToAgent);
  }).finally(() => {
    child.removeAllListeners('exit');
    if (child.connected) child.disconnect();
  });
}
