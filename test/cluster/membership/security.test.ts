import assert from 'node:assert/strict';
import { lanDefaults } from '../../../cluster/membership/config.js';
import type { Message, Packet } from '../../../cluster/membership/messages.js';
import { PacketAuth } from '../../../cluster/membership/packet_auth.js';
import { simCluster, type SimCluster } from '../../../cluster/membership/simulation.js';

const KEY = 'simulation-cluster-key';
const ATTACKER = '10.9.9.9:7946';

describe('membership/security (every packet authenticated with the cluster key)', () => {
  let cluster: SimCluster;
  let send: (packet: Buffer) => void;
  let ts: () => number;
  beforeEach(() => {
    cluster = simCluster({ n: 3, seed: 21, config: lanDefaults(), clusterKey: KEY });
    assert.notEqual(cluster.scheduler.runUntilTrue(() => cluster.converged(), 10_000), undefined, 'start: 3 nodes converge');
    const attacker = cluster.network.attach(ATTACKER);
    send = (packet) => attacker.send(cluster.nodes[0]!.address, packet);
    ts = () => cluster.scheduler.now;
  });
  afterEach(() => cluster.stop());

  const packet = (from: string, m: Message[], nonce = 'x1'): Packet => ({ f: from, a: ATTACKER, ts: ts(), n: nonce, m });
  const target = () => cluster.nodes[0]!.membership;
  const idsAt0 = () => target().members().map((m) => m.id).sort();

  it('a joiner with the wrong key is never admitted and is counted', () => {
    const wrong = new PacketAuth('another-cluster-key!', 10_000);
    send(wrong.seal(packet('intruder', [{ t: 'pushPull', reply: false, members: [{ id: 'intruder', addr: ATTACKER, inc: 0, st: 'alive' }] }])));
    send(Buffer.from('not even a packet'));
    cluster.scheduler.runFor(2_000);
    assert.deepEqual(idsAt0(), ['n0', 'n1', 'n2']);
    assert.equal(target().metrics().packetsUnauthenticated, 2);
  });

  it('a tampered packet fails the MAC', () => {
    const sealed = new PacketAuth(KEY, 10_000).seal(packet('intruder', [{ t: 'alive', id: 'intruder', addr: ATTACKER, inc: 0 }]));
    sealed[sealed.length - 3] ^= 1;
    send(sealed);
    cluster.scheduler.runFor(100);
    assert.deepEqual(idsAt0(), ['n0', 'n1', 'n2']);
    assert.equal(target().metrics().packetsUnauthenticated, 1);
  });

  it('replays (same nonce, or outside the window) are dropped and counted', () => {
    const auth = new PacketAuth(KEY, 10_000);
    const first = auth.seal(packet('n1', [{ t: 'alive', id: 'n9', addr: ATTACKER, inc: 0 }], 'r1'));
    send(first);
    cluster.scheduler.runFor(50);
    send(first);
    const old = auth.seal({ ...packet('n1', [{ t: 'alive', id: 'n8', addr: ATTACKER, inc: 0 }], 'r2'), ts: ts() - 60_000 });
    send(old);
    cluster.scheduler.runFor(50);
    assert.equal(target().metrics().packetsReplayed, 2);
    assert.ok(!idsAt0().includes('n8'), 'the stale-timestamp packet had no effect');
  });

  it('"dead"/"suspect" about ourselves is refuted with a higher incarnation; stale incarnations are ignored', () => {
    const auth = new PacketAuth(KEY, 10_000);
    send(auth.seal(packet('n1', [{ t: 'dead', id: 'n0', inc: 0, from: 'n1' }], 'd1')));
    cluster.scheduler.runFor(50);
    const self = () => target().members().find((m) => m.id === 'n0')!;
    assert.equal(self().state, 'alive');
    assert.equal(self().incarnation, 1);
    assert.equal(target().metrics().deathsRefuted, 1);
    send(auth.seal(packet('n1', [{ t: 'suspect', id: 'n0', inc: 0, from: 'n1' }], 'd2')));
    cluster.scheduler.runFor(50);
    assert.equal(self().incarnation, 1, 'a suspicion of an older incarnation changes nothing');
    assert.equal(target().metrics().staleMessages, 1);
    cluster.scheduler.runFor(2_000);
    for (const n of cluster.nodes) assert.equal(n.membership.members().find((m) => m.id === 'n0')!.incarnation, 1, `${n.id} learned the refutation`);
  });

  it('a death declared about ourselves reaches onDeclaredDead, even one older than our refutation; a suspicion does not', () => {
    const auth = new PacketAuth(KEY, 10_000);
    let declared = 0;
    target().onDeclaredDead(() => void declared++);
    send(auth.seal(packet('n1', [{ t: 'suspect', id: 'n0', inc: 0, from: 'n1' }], 'e1')));
    cluster.scheduler.runFor(50);
    assert.equal(declared, 0, 'a suspicion is refuted in time: nobody moved our actors');
    const inc = target().members().find((m) => m.id === 'n0')!.incarnation;
    assert.ok(inc >= 1, 'refuted');
    // Buffered while we were stopped: the death of the incarnation we have refuted since (peers may still hold it).
    send(auth.seal(packet('n1', [{ t: 'dead', id: 'n0', inc: inc - 1, from: 'n1' }], 'e2')));
    cluster.scheduler.runFor(50);
    assert.equal(declared, 1, 'peers may have confirmed us gone and moved our actors: the router must rejoin');
    send(auth.seal(packet('n2', [{ t: 'pushPull', reply: false, members: [{ id: 'n0', addr: cluster.nodes[0]!.address, inc, st: 'dead' }] }], 'e3')));
    cluster.scheduler.runFor(50);
    assert.equal(declared, 2, 'a push-pull state holding us dead says the same');
  });

  it('a death declared about ourselves by a member we hold dead (the far side of a cut that just healed) is not news', () => {
    const auth = new PacketAuth(KEY, 10_000);
    let declared = 0;
    target().onDeclaredDead(() => void declared++);
    send(auth.seal(packet('n1', [{ t: 'dead', id: 'n2', inc: 0, from: 'n1' }], 'f1')));
    cluster.scheduler.runFor(10);
    assert.equal(target().members().find((m) => m.id === 'n2')!.state, 'dead');
    // n2's refutation and its stale view of us in one packet: n2 was dead here when the packet came.
    send(auth.seal(packet('n2', [{ t: 'alive', id: 'n2', addr: cluster.nodes[2]!.address, inc: 1 }, { t: 'dead', id: 'n0', inc: 0, from: 'n2' }], 'f2')));
    cluster.scheduler.runFor(10);
    assert.equal(declared, 0, 'a minority that declared us dead moved nothing');
    assert.equal(target().members().find((m) => m.id === 'n2')!.state, 'alive', 'n2 is back');
  });

  it('a verdict about a third member from a declarer we hold dead (relayed across a flapping cut) is ignored', () => {
    const auth = new PacketAuth(KEY, 10_000);
    send(auth.seal(packet('n1', [{ t: 'dead', id: 'n2', inc: 0, from: 'n1' }], 'g1')));
    cluster.scheduler.runFor(10);
    send(auth.seal(packet('n2', [{ t: 'dead', id: 'n1', inc: 0, from: 'n2' }], 'g2')));
    cluster.scheduler.runFor(10);
    assert.equal(target().members().find((m) => m.id === 'n1')!.state, 'alive', 'n1, which we see, is not dropped (nor our quorum with it)');
  });

  it('an authenticated but malformed message is dropped and counted, the node keeps working', () => {
    const auth = new PacketAuth(KEY, 10_000);
    const bad = { t: 'pushPull', reply: false, members: 5 } as unknown as Message;
    send(auth.seal(packet('n1', [bad, { t: 'alive', id: 'n6', addr: ATTACKER, inc: 0 }], 'm1')));
    cluster.scheduler.runFor(100);
    assert.equal(target().metrics().packetsMalformed, 1);
    assert.ok(idsAt0().includes('n6'), 'the well-formed message in the same packet was applied');
  });

  it('someone claiming to be us is refuted (address conflict) and packets sent under our id are dropped', () => {
    const auth = new PacketAuth(KEY, 10_000);
    send(auth.seal(packet('n1', [{ t: 'alive', id: 'n0', addr: ATTACKER, inc: 5 }], 'i1')));
    send(auth.seal(packet('n0', [{ t: 'alive', id: 'n7', addr: ATTACKER, inc: 0 }], 'i2')));
    cluster.scheduler.runFor(2_000);
    const m = target().metrics();
    assert.equal(m.impersonationsRefuted, 1);
    assert.equal(m.packetsImpersonating, 1);
    for (const n of cluster.nodes) {
      const self = n.membership.members().find((x) => x.id === 'n0')!;
      assert.equal(self.addr, cluster.nodes[0]!.address, `${n.id} keeps n0's real address`);
      assert.equal(self.incarnation, 6, `${n.id} holds the refuting incarnation`);
    }
    assert.ok(!idsAt0().includes('n7'));
  });
});
