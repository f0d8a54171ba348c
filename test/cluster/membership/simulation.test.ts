import assert from 'node:assert/strict';
import { lanDefaults, suspicionTimeoutMs, worstCaseDetectionMs } from '../../../cluster/membership/config.js';
import type { MemberEvent } from '../../../cluster/membership/events.js';
import { simCluster, type SimCluster, type SimNode } from '../../../cluster/membership/simulation.js';

interface Seen extends MemberEvent {
  observer: string;
}

function recordEvents(cluster: SimCluster): Seen[] {
  const seen: Seen[] = [];
  for (const n of cluster.nodes) n.membership.events.on((e) => seen.push({ ...e, observer: n.id }));
  return seen;
}

function stateOf(observer: SimNode, id: string): string | undefined {
  return observer.membership.members().find((m) => m.id === id)?.state;
}

function converge(cluster: SimCluster, phase: string, maxMs = 30_000): number {
  const ms = cluster.scheduler.runUntilTrue(() => cluster.converged(), maxMs, 1);
  if (ms === undefined) {
    const views = cluster.nodes.map((n) => `${n.id}:${n.membership.members().filter((m) => m.state === 'alive').length}`).join(' ');
    assert.fail(`${phase}: expected every node to see all ${cluster.nodes.length} alive within ${maxMs} simulated ms; alive counts ${views}`);
  }
  return ms;
}

describe('membership/simulation (in-memory network, simulated time, seeded)', () => {
  let cluster: SimCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('50 nodes joining through one seed converge, with no suspicion raised', () => {
    cluster = simCluster({ n: 50, seed: 7, config: lanDefaults() });
    converge(cluster, '50-node start');
    cluster.scheduler.runFor(20_000);
    assert.ok(cluster.converged(), 'still converged 20 s later');
    for (const n of cluster.nodes) assert.equal(n.membership.metrics().suspicionsRaised, 0, `${n.id} raised a suspicion`);
  });

  it('member metadata (the node\'s gRPC address) reaches every member, through gossip and push-pull', () => {
    cluster = simCluster({ n: 12, seed: 5, config: lanDefaults(), meta: (i) => `127.0.0.1:${7100 + i}` });
    converge(cluster, '12-node start with metadata');
    for (const observer of cluster.nodes) {
      const metas = observer.membership.members().map((m) => `${m.id}=${m.meta}`).sort();
      const expected = cluster.nodes.map((n, i) => `${n.id}=127.0.0.1:${7100 + i}`).sort();
      assert.deepEqual(metas, expected, `${observer.id}'s view of member metadata`);
    }
  });

  it('a crashed node is declared dead by every other node within the worst-case formula', () => {
    cluster = simCluster({ n: 20, seed: 11, config: lanDefaults() });
    converge(cluster, '20-node start');
    const events = recordEvents(cluster);
    const victim = cluster.nodes[7]!;
    const crashedAt = cluster.scheduler.now;
    cluster.crash(victim);
    const others = cluster.nodes.filter((n) => n !== victim);
    const boundMs = worstCaseDetectionMs(lanDefaults(), 20);
    const took = cluster.scheduler.runUntilTrue(() => others.every((n) => stateOf(n, victim.id) === 'dead'), boundMs, 1);
    assert.notEqual(took, undefined, `expected all 19 to hold ${victim.id} dead within ${boundMs} ms; states ${others.map((n) => stateOf(n, victim.id)).join(',')}`);
    const wrongDeaths = events.filter((e) => e.type === 'dead' && e.id !== victim.id);
    assert.deepEqual(wrongDeaths, [], 'only the victim dies');
    assert.ok(events.filter((e) => e.type === 'dead').every((e) => e.atMs - crashedAt <= boundMs));
  });

  it('one-way loss A↛C: indirect probes carry it, nobody is declared dead', () => {
    cluster = simCluster({ n: 8, seed: 3, config: lanDefaults() });
    converge(cluster, '8-node start');
    const events = recordEvents(cluster);
    const [a, c] = [cluster.nodes[1]!, cluster.nodes[2]!];
    cluster.network.blockOneWay(a.address, c.address);
    cluster.scheduler.runFor(120_000);
    assert.deepEqual(events.filter((e) => e.type === 'dead'), [], 'no deaths');
    assert.ok(cluster.converged(), 'all still alive everywhere');
    const indirect = a.membership.metrics().probesAckedAfterIndirect + c.membership.metrics().probesAckedAfterIndirect;
    assert.ok(indirect > 0, `expected A or C to need indirect probes, saw ${indirect}`);
  });

  it('10 % random packet loss: suspicions happen and are refuted, nobody is declared dead', () => {
    cluster = simCluster({ n: 10, seed: 2, config: lanDefaults() });
    converge(cluster, '10-node start');
    const events = recordEvents(cluster);
    cluster.network.dropRate = 0.1;
    cluster.scheduler.runFor(180_000);
    assert.deepEqual(events.filter((e) => e.type === 'dead'), [], 'no deaths');
    const refuted = cluster.nodes.reduce((s, n) => s + n.membership.metrics().suspicionsRefuted, 0);
    assert.ok(refuted > 0, `the loss should have caused refuted suspicions, saw ${refuted}`);
  });

  it('a node stalled for less than the minimum suspicion time refutes and stays alive, accusing nobody', () => {
    cluster = simCluster({ n: 10, seed: 5, config: lanDefaults() });
    converge(cluster, '10-node start');
    const events = recordEvents(cluster);
    const stalled = cluster.nodes[4]!;
    const stallMs = suspicionTimeoutMs(lanDefaults().suspicionMult, 10, lanDefaults().probeIntervalMs) - 300;
    // Every 5 s, the node's loop stalls right after it sends a ping (a GC pause mid-probe): its own probe
    // timers then fire late, its acks sit unread, and peers' probes of it fail, so they suspect it.
    let armed = 0;
    cluster.network.onSend = (from, _to, packet) => {
      if (armed > 0 && from === stalled.address && Buffer.from(packet).includes('"t":"ping"')) {
        armed--;
        cluster!.scheduler.stall(stalled.address, stallMs);
        cluster!.scheduler.at(cluster!.scheduler.now + 5_000, 0, 'driver', () => void armed++);
      }
    };
    armed = 1;
    cluster.scheduler.runFor(70_000);
    const m = stalled.membership.metrics();
    assert.deepEqual(events.filter((e) => e.type === 'dead'), [], 'no deaths');
    assert.ok(events.some((e) => e.type === 'suspect' && e.id === stalled.id), 'the stall was long enough to be suspected');
    assert.ok(m.suspicionsRefuted > 0, `expected refutations, metrics ${JSON.stringify(m)}`);
    assert.equal(m.suspicionsRaised, 0, 'the stalled node accused no healthy peer');
    assert.ok(m.probesInconclusive + m.lagStalls > 0, 'it noticed its own lag');
    assert.ok(cluster.converged(), 'everyone alive everywhere');
    for (const n of cluster.nodes) assert.ok(n.membership.members().find((x) => x.id === stalled.id)!.incarnation > 0, `${n.id} holds the refuted incarnation`);
    assert.ok(m.lagStalls >= 10, `expected the lag sampler to see each of ~13 stalls, saw ${m.lagStalls}`);
  });

  it('a 2|3 partition: each side declares the other dead, and after healing all five converge', () => {
    cluster = simCluster({ n: 5, seed: 9, config: lanDefaults() });
    converge(cluster, '5-node start');
    const [left, right] = [cluster.nodes.slice(0, 2), cluster.nodes.slice(2)];
    cluster.network.partition(
      left.map((n) => n.address),
      right.map((n) => n.address),
    );
    const split = cluster.scheduler.runUntilTrue(
      () => left.every((l) => right.every((r) => stateOf(l, r.id) === 'dead' && stateOf(r, l.id) === 'dead')),
      60_000,
    );
    assert.notEqual(split, undefined, 'both sides should declare the other side dead');
    cluster.network.heal();
    converge(cluster, 'after heal', 4 * lanDefaults().pushPullIntervalMs);
  });

  it('a peer suspected on link evidence (its port refused) is declared dead within the minimum suspicion time', () => {
    cluster = simCluster({ n: 3, seed: 4, config: lanDefaults() });
    converge(cluster, '3-node start');
    const victim = cluster.nodes[2]!;
    const others = cluster.nodes.filter((n) => n !== victim);
    cluster.crash(victim);
    const crashedAt = cluster.scheduler.now;
    for (const n of others) assert.equal(n.membership.suspectUnreachable(victim.id), true, `${n.id} starts a suspicion`);
    assert.equal(others[0]!.membership.suspectUnreachable(victim.id), false, 'already suspected: nothing new');
    const minMs = suspicionTimeoutMs(lanDefaults().suspicionMult, 3, lanDefaults().probeIntervalMs);
    // Probes alone need a probe timeout and the indirect round before a suspicion even starts.
    const boundMs = minMs + lanDefaults().probeTimeoutMs;
    const took = cluster.scheduler.runUntilTrue(() => others.every((n) => stateOf(n, victim.id) === 'dead'), boundMs, 1);
    assert.notEqual(took, undefined, `expected both survivors to hold ${victim.id} dead within ${boundMs} ms of the refusals; states ${others.map((n) => stateOf(n, victim.id)).join(',')}`);
    assert.ok(cluster.scheduler.now - crashedAt >= minMs, 'never before the minimum suspicion time');
  });

  it('a live peer suspected on link evidence refutes and stays alive', () => {
    cluster = simCluster({ n: 3, seed: 6, config: lanDefaults() });
    converge(cluster, '3-node start');
    const events = recordEvents(cluster);
    const [accuser, accused] = [cluster.nodes[0]!, cluster.nodes[1]!];
    assert.equal(accuser.membership.suspectUnreachable(accused.id), true);
    assert.equal(accuser.membership.suspectUnreachable(accuser.id), false, 'never itself');
    assert.equal(accuser.membership.suspectUnreachable('nobody'), false, 'never an unknown id');
    cluster.scheduler.runFor(30_000);
    assert.deepEqual(events.filter((e) => e.type === 'dead'), [], 'no deaths');
    assert.ok(cluster.converged(), 'all alive everywhere');
    assert.ok(accused.membership.metrics().suspicionsRefuted >= 1, 'the accused refuted');
  });
});
