/**
 * ops reads the ring that routes (issue 18, item 4): three whole nodes in this process (`startNode`, gossip through
 * `FilteredGossip` so the test can cut one off), and the ring checksum Admin reports on n1 is its router's while n3
 * is suspect, after n3 is gone, and while n1 itself is cut off without quorum.
 */
import assert from 'node:assert/strict';
import { UdpTransport } from '../../../cluster/membership/udp_transport.js';
import { adminClient, type Admin } from '../../../ops/admin/client.js';
import { startTestNode, type TestNode } from '../../../testing/node.js';
import { FilteredGossip } from '../../../testing/routing/filtered-gossip.js';
import { waitFor } from '../../../testing/wait.js';
import { OPERATOR_TOKEN } from './support/admin-node.js';

describe('admin ring = routing ring (3 nodes in one process)', function () {
  this.timeout(60_000);
  const nodes: Array<{ started: TestNode; gossip: FilteredGossip }> = [];
  let admin: Admin | undefined;

  async function start(id: string, seeds: string[]): Promise<{ started: TestNode; gossip: FilteredGossip }> {
    let gossip: FilteredGossip | undefined;
    const started = await startTestNode(`ring-${id}`, { 'ops.operatorToken': OPERATOR_TOKEN, 'node.id': id, 'node.seeds': seeds }, {
      transport: { gossip: async (host, port) => (gossip = new FilteredGossip(await UdpTransport.bind(host, port))) },
    });
    const n = { started, gossip: gossip! };
    nodes.push(n);
    return n;
  }

  after(async () => {
    admin?.close();
    for (const n of nodes) n.gossip.blocked.clear();
    for (const n of nodes.reverse()) await n.started.stop().catch(() => undefined);
  });

  it('while a member is suspect, after it is gone and without quorum, Admin shows the checksum of the ring n1 routes with', async () => {
    const n1 = await start('n1', []);
    const n2 = await start('n2', [n1.started.node.gossipAddress]);
    const n3 = await start('n3', [n1.started.node.gossipAddress]);
    const cluster = (n: typeof n1) => n.started.node.cluster;
    await waitFor(() => [n1, n2, n3].every((n) => cluster(n).router.serving && cluster(n).ring().members.length === 3), {
      phase: 'start', expected: 'every node serving with a ring of 3', seen: () => [n1, n2, n3].map((n) => `${cluster(n).id}: [${cluster(n).ring().members.join(',')}]`).join('; '), timeoutMs: 20_000,
    });
    admin = adminClient(n1.started.node.grpcAddress, OPERATOR_TOKEN);
    assert.equal((await admin.status()).ringChecksum, cluster(n1).ring().checksum, 'stable');

    const stateOfN3 = () => cluster(n1).members().find((m) => m.id === 'n3')?.state;
    // Set up before the cut: n1's first sight of n3 suspect.
    const suspect = waitFor(() => stateOfN3() === 'suspect', {
      phase: 'cut', expected: 'n1 suspects n3', seen: () => stateOfN3(), timeoutMs: 10_000, pollMs: 1,
    });
    // Gossip only: n1 and n2 stop hearing n3 (n3's links stay, so Admin can still reach it).
    for (const n of [n1, n2]) n.gossip.blocked.add(n3.started.node.gossipAddress);
    n3.gossip.blocked.add(n1.started.node.gossipAddress).add(n2.started.node.gossipAddress);
    await suspect;
    const during = await admin.status();
    assert.equal(stateOfN3(), 'suspect', 'n3 still suspect when Admin answered');
    assert.equal(during.ringChecksum, cluster(n1).ring().checksum, 'while n3 is suspect');

    await waitFor(() => !cluster(n1).ring().members.includes('n3'), {
      phase: 'gone', expected: 'n1 routes without n3', seen: () => ({ ring: cluster(n1).ring().members, n3: stateOfN3() }), timeoutMs: 20_000,
    });
    const after = await admin.status();
    assert.equal(after.ringChecksum, cluster(n1).ring().checksum, 'after n3 is gone');
    assert.notEqual(after.ringChecksum, during.ringChecksum);

    // n1 cut off from n2 too: without quorum it routes nothing, and its ring stays the last agreed one while gossip
    // already holds n2 dead, so a ring rebuilt from the alive and suspect members (n1 alone) would differ.
    const stateOfN2 = () => cluster(n1).members().find((m) => m.id === 'n2')?.state;
    n1.gossip.blocked.add(n2.started.node.gossipAddress);
    n2.gossip.blocked.add(n1.started.node.gossipAddress);
    await waitFor(() => !cluster(n1).router.serving && stateOfN2() === 'dead', {
      phase: 'minority', expected: 'n1 without quorum, n2 dead to it', seen: () => ({ serving: cluster(n1).router.serving, n2: stateOfN2(), ring: cluster(n1).ring().members }), timeoutMs: 20_000,
    });
    const minority = await admin.status();
    assert.equal(minority.ringChecksum, cluster(n1).ring().checksum, 'without quorum');
  });
});
