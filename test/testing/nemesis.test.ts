import assert from 'node:assert/strict';
import { startNetnsCluster, type NetnsCluster } from '../../testing/netns/cluster.js';
import { netnsUnavailableReason } from '../../testing/netns/network.js';
import { runScenario, SCENARIOS, type ScenarioName, type ScenarioTiming } from '../../testing/netns/scenarios.js';

/**
 * Issue 22's scenarios, each under load on a 3-node replicated cluster whose nodes live in their own network
 * namespaces, faults made by the kernel (nft) and by signals. Faults are shorter than in `quarry bench nemesis`, to
 * keep CI in time; what is asserted is the invariants, never timing.
 */
const BASE: Omit<ScenarioTiming, 'faultMs'> = { rampUpS: 2, faultAfterMs: 2_000, recoverS: 6, players: 60, fixIntervalMs: 500 };
const FAULT_MS: Record<ScenarioName, number> = { partition2v1: 6_000, bridge: 6_000, oneWay: 6_000, loss30: 8_000, flap: 30_000, pause10s: 10_000 };

/**
 * Scenarios that find a bug not fixed yet: the test expects the invariants to break, in the ways named, and fails
 * when they hold (then the bug is fixed, or did not show: look, and make it a plain scenario test).
 *
 * flap: a node that loses quorum and rejoins within a flap phase keeps the activations it had: the releaser drains
 * them (handling their mailboxes, writing a final snapshot) at its pace, and once the node has rejoined (~0.2 s later)
 * it owns them again by the ring, so a stale activation, holding messages that waited on the cut link, handles them
 * with the state it had before the majority moved the actor: two activations of one key, acknowledged writes lost.
 * The flap here is the 30 s, as in `quarry bench nemesis` (9 acked fixes lost and 28 keys doubled at 6ec8969;
 * 22 keys doubled in the run after): 8 s flaps mostly pass, which would hide it.
 * The fix needs the runtime to discard an activation without handling its mailbox (a port change), so a node that
 * rejoins starts from claims alone.
 */
const KNOWN_BUGS: Partial<Record<ScenarioName, RegExp>> = { flap: /acknowledged (fixes|treasure claims) lost|keys had two activations at once/ };

describe('nemesis: faults on a real network (a netns per node, nft, signals)', function () {
  this.timeout(120_000);
  let c: NetnsCluster | undefined;

  before(async function () {
    const reason = netnsUnavailableReason();
    if (reason !== undefined) {
      // A skipped test is a missing feature: say why, loudly. CI runs as root with nftables, so it runs them all.
      console.warn(`    NOT RUN: the nemesis tests need network namespaces: ${reason}`);
      this.skip();
    }
    c = await startNetnsCluster({ nodes: 3, tag: 't' });
  });

  after(async () => {
    await c?.stop();
  });

  for (const scenario of SCENARIOS) {
    const bug = KNOWN_BUGS[scenario.name];
    const title = bug === undefined
      ? `${scenario.name} (${scenario.description}): no acked fix or claim lost, no claim over capacity, one activation per key, only retriable errors`
      : `${scenario.name} (${scenario.description}): EXPECTED FAILURE, a known bug (see KNOWN_BUGS): stale activations of a node that rejoined`;
    it(title, async () => {
      await c!.converged(`${scenario.name}: converged before the fault`);
      const r = await runScenario(c!, scenario, { ...BASE, faultMs: FAULT_MS[scenario.name] }, `${scenario.name}-`);
      assert.ok(r.report.fixesAcked > 0 && r.report.probeTicks > 0, `${scenario.name}: the workload ran (${JSON.stringify(r.report)})`);
      if (bug === undefined) return assert.deepEqual(r.violations, [], `${scenario.name}: ${JSON.stringify(r.report)}`);
      assert.ok(r.violations.length > 0, `${scenario.name}: every invariant held: the known bug is fixed or did not show; make it a plain scenario test (${JSON.stringify(r.report)})`);
      assert.deepEqual(r.violations.filter((v) => !bug.test(v)), [], `${scenario.name}: violations besides the known bug`);
      console.warn(`      known bug (${scenario.name}): ${r.violations.join('; ')}`);
    });
  }
});
