/**
 * The nemesis scenarios of issue 22, shared by the mocha tests (short faults) and `quarry bench nemesis` (the
 * issue's durations): each is a fault on a 3-node replicated cluster (testing/netns/cluster.ts) under the workload
 * of testing/netns/workload.ts, healed before the window ends, then judged by testing/netns/invariants.ts.
 * Nodes are `n0` (the seed), `n1`, `n2`; the a, b, c.
 */
import type { NetnsCluster } from './cluster.js';
import { violations } from './invariants.js';
import { Nemesis } from './nemesis.js';
import { runWorkload, type WorkloadReport } from './workload.js';

export type ScenarioName = 'partition2v1' | 'bridge' | 'oneWay' | 'loss30' | 'flap' | 'pause10s';

export interface Scenario {
  readonly name: ScenarioName;
  /** What is done, for messages. */
  readonly description: string;
  /** The nodes that must keep serving through the fault: the probes of `unavailableMs` go to them. */
  readonly serving: readonly string[];
  /** Applies the fault for `faultMs`; resolves when it is over (the caller heals after it in any case). */
  run(nemesis: Nemesis, faultMs: number): Promise<void>;
}

/** How often the flap scenario toggles its partition (the 2 s). */
export const FLAP_PERIOD_MS = 2_000;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'partition2v1',
    description: 'n0,n1 | n2: the minority refuses, the majority serves',
    serving: ['n0', 'n1'],
    run: (nemesis, faultMs) => holding(() => nemesis.partition([['n0', 'n1'], ['n2']]), faultMs),
  },
  {
    name: 'bridge',
    description: 'n1 and n2 cannot see each other, both see n0',
    serving: ['n0'],
    run: (nemesis, faultMs) => holding(() => nemesis.partition([['n1'], ['n2']]), faultMs),
  },
  {
    name: 'oneWay',
    description: 'packets n0 -> n1 dropped, n1 -> n0 flows',
    serving: ['n2'],
    run: (nemesis, faultMs) => holding(() => nemesis.oneWay('n0', 'n1'), faultMs),
  },
  {
    name: 'loss30',
    description: '30 % of n2\'s packets dropped at random, in and out',
    serving: ['n0', 'n1'],
    run: (nemesis, faultMs) => holding(() => nemesis.loss('n2', 30), faultMs),
  },
  {
    name: 'flap',
    description: `n0,n1 | n2 on and off every ${FLAP_PERIOD_MS} ms`,
    serving: ['n0', 'n1'],
    run: (nemesis, faultMs) => nemesis.flap([['n0', 'n1'], ['n2']], FLAP_PERIOD_MS, faultMs),
  },
  {
    name: 'pause10s',
    description: 'n2 stopped (SIGSTOP), then continued: it must not act on stale ownership',
    serving: ['n0', 'n1'],
    run: (nemesis, faultMs) => nemesis.pause('n2', faultMs),
  },
];

export interface ScenarioTiming {
  /** How long the fault lasts. */
  faultMs: number;
  /** Load before the measured window opens. */
  rampUpS: number;
  /** From the window's start to the fault. */
  faultAfterMs: number;
  /** Load after the fault is healed, before the window ends. */
  recoverS: number;
  players: number;
  fixIntervalMs: number;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  report: WorkloadReport;
  /** What did not hold: the invariants, and every node still running. Empty when all held. */
  violations: string[];
  /** How long after the heal every node saw every other alive again, in ms. */
  reconvergeMs: number;
}

/**
 * Runs `scenario` on `c` (which must be converged, every node running): the workload, the fault `faultAfterMs` into
 * its window, a heal, and, once membership has converged again, the workload's own end and checks.
 */
export async function runScenario(c: NetnsCluster, scenario: Scenario, t: ScenarioTiming, playerPrefix: string): Promise<ScenarioResult> {
  const nemesis = new Nemesis(c);
  let faultDone: Promise<number> | undefined;
  const durationS = Math.ceil((t.faultAfterMs + t.faultMs) / 1000) + t.recoverS;
  try {
    const report = await runWorkload(
      c,
      { targets: c.ids.map((id) => c.grpcTarget(id)), servingTargets: scenario.serving.map((id) => c.grpcTarget(id)), players: t.players, fixIntervalMs: t.fixIntervalMs, rampUpS: t.rampUpS, durationS, playerPrefix },
      (windowAtMs) => {
        faultDone = (async () => {
          await sleep(windowAtMs + t.faultAfterMs - Date.now());
          try {
            await scenario.run(nemesis, t.faultMs);
          } finally {
            nemesis.heal();
          }
          const healedAt = Date.now();
          await c.converged(`${scenario.name}: converge after the heal`);
          return Date.now() - healedAt;
        })();
        // Seen after the workload; until then the load goes on whatever happens here.
        faultDone.catch(() => {});
      },
    );
    if (faultDone === undefined) throw new Error(`${scenario.name}: the workload ended without opening its window`);
    const reconvergeMs = await faultDone;
    const crashed = c.ids.map((id) => c.node(id)).filter((n) => n.exitCode !== undefined);
    return {
      scenario: scenario.name,
      report,
      violations: [...violations(report), ...crashed.map((n) => `${n.id} exited with ${n.exitCode}: ${n.stderr.slice(-500)}`)],
      reconvergeMs,
    };
  } finally {
    nemesis.heal();
  }
}

async function holding(apply: () => void, ms: number): Promise<void> {
  apply();
  await sleep(ms);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
