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
 * A bug these scenarios find that is not fixed yet; each test fails on any other violation and reports this one.
 *
 * A node that loses quorum (a minority, a node that rejoins) drains its activations by handling their mailboxes,
 * and writes a final snapshot, at the releaser's pace, while the majority has activated the same keys from their
 * replicas: two activations of one key handle messages at once (`duplicateActivations`). Their writes are refused
 * (no quorum, no replica), so nothing acked is lost, unless the node rejoins before the drain ends (~0.2 s after a
 * quorum loss when the cut heals): then it owns the keys again by the ring and the stale activations go on serving
 * with the state they had before the majority moved them, and acknowledged writes are lost. A flapping partition
 * does that every run at the 30 s (`quarry bench nemesis` at 6ec8969: 9 acked fixes lost, 28 keys doubled),
 * and so does 30 s of 30 % loss in the bench (14 acked fixes lost at b2fc730; n2 is declared dead, rejoins, and its
 * old activations serve on); the shorter faults here show the doubling in some runs. The fix needs the runtime to discard an activation without
 * handling its mailbox (a port change): a node that lost quorum must start from claims alone.
 */
const KNOWN_BUG = /keys had two activations at once/;
/** Where the known bug also loses acknowledged writes. */
const KNOWN_BUG_LOSES_WRITES: ReadonlySet<ScenarioName> = new Set(['flap']);
const LOST_WRITES = /acknowledged (fixes|treasure claims) lost/;

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
    const tolerated = (v: string) => KNOWN_BUG.test(v) || (KNOWN_BUG_LOSES_WRITES.has(scenario.name) && LOST_WRITES.test(v));
    const known = KNOWN_BUG_LOSES_WRITES.has(scenario.name) ? 'two activations per key and acked writes lost' : 'two activations per key';
    it(`${scenario.name} (${scenario.description}): no claim over capacity, only retriable errors${KNOWN_BUG_LOSES_WRITES.has(scenario.name) ? '' : ', no acked fix or claim lost'}; KNOWN BUG reported, not failed: ${known} (see KNOWN_BUG)`, async () => {
      await c!.converged(`${scenario.name}: converged before the fault`);
      const r = await runScenario(c!, scenario, { ...BASE, faultMs: FAULT_MS[scenario.name] }, `${scenario.name}-`);
      assert.ok(r.report.fixesAcked > 0 && r.report.probeTicks > 0, `${scenario.name}: the workload ran (${JSON.stringify(r.report)})`);
      assert.deepEqual(r.violations.filter((v) => !tolerated(v)), [], `${scenario.name}: ${JSON.stringify(r.report)}`);
      const shown = r.violations.filter(tolerated);
      if (shown.length > 0) console.warn(`      KNOWN BUG (${scenario.name}): ${shown.join('; ')}; doubled: ${r.report.duplicateActivationKeys.slice(0, 3).join(' | ')}`);
    });
  }
});
