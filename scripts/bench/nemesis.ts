import { startNetnsCluster, type NetnsCluster } from '../../testing/netns/cluster.js';
import { netnsUnavailableReason } from '../../testing/netns/network.js';
import { runScenario, SCENARIOS, type ScenarioName } from '../../testing/netns/scenarios.js';
import type { BenchOptions, BenchResult } from './harness.js';

/**
 * `quarry bench nemesis`: issue 22's scenarios on a 3-node replicated cluster, each node in its own network
 * namespace, faults made by the kernel (nft) and by signals (testing/netns/), at the issue's durations, under the
 * load generator's players. Per scenario: acked writes lost (fixes and treasure claims), keys seen with two
 * activations, claims over capacity, and how long the nodes that should keep serving refused fixes. Needs root,
 * `ip netns` and nftables; without them no figure is measured and stderr says why.
 */

/** How long each fault lasts, in ms: the issue's 30 s of loss and of flapping, 10 s of pause. */
const FAULT_MS: Record<ScenarioName, number> = { partition2v1: 15_000, bridge: 15_000, oneWay: 15_000, loss30: 30_000, flap: 30_000, pause10s: 10_000 };
/** Load around each fault: 200 players, one fix a second each. */
const DEFAULTS = { players: 200, fixIntervalMs: 1_000, rampUpS: 3, faultAfterMs: 3_000, recoverS: 10 } as const;

export async function run(options: BenchOptions): Promise<BenchResult> {
  const reason = netnsUnavailableReason();
  if (reason !== undefined) return { figures: {}, notes: [`not measured: the nemesis suite needs network namespaces: ${reason}`] };
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  let c: NetnsCluster | undefined;
  try {
    c = await startNetnsCluster({ nodes: 3, tag: 'b' });
    for (const scenario of SCENARIOS) {
      await c.converged(`${scenario.name}: converged before the fault`);
      const faultMs = options.durationS !== undefined ? options.durationS * 1000 : FAULT_MS[scenario.name];
      const r = await runScenario(c, scenario, { ...DEFAULTS, players: options.players ?? DEFAULTS.players, faultMs }, `bench-${scenario.name}-${Date.now()}-`);
      const s = scenario.name;
      figures[`lostAcked.${s}`] = r.report.lostAckedFixes + r.report.lostAckedClaims;
      figures[`duplicateActivations.${s}`] = r.report.duplicateActivations;
      figures[`overCapacityClaims.${s}`] = r.report.overCapacityClaims;
      figures[`unavailableMs.${s}`] = r.report.unavailableMs;
      figures[`reconvergeMs.${s}`] = r.reconvergeMs;
      notes.push(`${s} (${scenario.description}; ${faultMs} ms): ${r.violations.length === 0 ? 'every invariant held' : `VIOLATED: ${r.violations.join('; ')}`}`);
      const { failuresByStatus, firstFailureDetails, duplicateActivationKeys, ...counts } = r.report;
      notes.push(`${s}: ${JSON.stringify(counts)}; failures ${JSON.stringify(failuresByStatus)}; first details ${JSON.stringify(firstFailureDetails)}${duplicateActivationKeys.length > 0 ? `; doubled ${JSON.stringify(duplicateActivationKeys)}` : ''}`);
    }
  } finally {
    await c?.stop();
  }
  return { figures, notes };
}
