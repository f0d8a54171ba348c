import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { buildRing, ownerOf } from '../../cluster/placement/ring.js';
import { PUSH_BATCH_BYTES } from '../../cluster/routing/leave-push.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { HuntClient, type FixAck } from '../../proto/gen/hunt.js';
import { SAMPLE_HUNT, httpGet, nodeSandbox, quarryCli, type QuarryProcess } from './support/quarry-process.js';

const BEACONS = (JSON.parse(readFileSync(SAMPLE_HUNT, 'utf8')) as { beacons: Array<{ id: string }> }).beacons.map((b) => b.id);
const TOKEN_SECRET = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } })).gateway.tokenSecret;

/** A player's phone: fixes over native gRPC with its own token. */
class Phone {
  private seq = 0;
  private constructor(readonly playerId: string, private readonly md: Metadata) {}

  static async of(playerId: string): Promise<Phone> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: TOKEN_SECRET }, { playerId, ttlMinutes: 30 })}`);
    return new Phone(playerId, md);
  }

  fix(client: HuntClient, beaconId: string, previous?: string): Promise<FixAck> {
    const readings = [{ beaconId, rssiDbm: -40 }, ...(previous ? [{ beaconId: previous, rssiDbm: -100 }] : [])];
    const fix = { playerId: this.playerId, clientSeq: ++this.seq, clientTimeMs: Date.now(), readings, gps: undefined };
    return new Promise((resolve, reject) => client.reportFix(fix, this.md, (err: ServiceError | null, ack?: FixAck) => (err ? reject(err) : resolve(ack!))));
  }

  /** Walks to `visits` beacons in turn (a switch of closest beacon takes 3 fixes); resolves with the last ack. */
  async walk(client: HuntClient, visits: number, offset: number): Promise<FixAck> {
    let ack: FixAck | undefined;
    let previous: string | undefined;
    for (let v = 0; v < visits; v++) {
      const beacon = BEACONS[(offset + v * 7) % BEACONS.length]!;
      for (let n = 0; n < 6 && ack?.closestBeaconId !== beacon; n++) ack = await this.fix(client, beacon, previous);
      assert.equal(ack!.closestBeaconId, beacon, `${this.playerId} reached beacon ${beacon}`);
      previous = beacon;
    }
    return ack!;
  }
}

describe('quarry node leave on real nodes (issue 19, item 3)', function () {
  this.timeout(240_000);
  const box = nodeSandbox('quarry-leave-', 'each');

  it('refuses to take away the last serving member (exit 1, the node stays ready); --force leaves, and the node exits 0 by itself', async () => {
    const node = box.start('solo', { 'node.dataDir': join(box.dir, 'solo') });
    const r = await node.ready();
    const refused = await quarryCli(['node', 'leave', '--node', r.grpcAddress, '--json']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /FAILED_PRECONDITION: solo is the last serving member.*--force/);
    assert.equal((await httpGet(`${r.httpUrl}/readyz`)).status, 200, 'still serving');
    assert.equal(node.exitCode, undefined, 'still running');

    const forced = await quarryCli(['node', 'leave', '--node', r.grpcAddress, '--force', '--json']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(JSON.parse(forced.stdout.trim().split('\n').at(-1)!).done, true, forced.stdout);
    assert.equal(await node.exited(), 0, `exit code of the node that left; stderr: ${node.stderr.slice(-500)}`);
  });

  it('replicationFactor 1: a leave of a node holding more than one push batch of large players hands every one over, and the node exits 0', async () => {
    const settings = { 'cluster.replicationFactor': 1, 'cluster.durability': 'local' };
    const ids = ['v1', 'v2', 'v3'];
    const nodes: QuarryProcess[] = [];
    for (const id of ids) {
      const seeds = nodes.length > 0 ? [(await nodes[0]!.ready()).gossipAddress] : [];
      nodes.push(box.start(id, { ...settings, 'node.dataDir': join(box.dir, id) }, {}, seeds));
    }
    const ready = await Promise.all(nodes.map((n) => n.ready()));
    for (const r of ready) {
      const until = Date.now() + 20_000;
      while ((await httpGet(`${r.httpUrl}/readyz`)).status !== 200 && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    }
    // Players the leaver (v2) owns, each walking to 12 beacons: ~0.7 KB of state each, well over one batch in all.
    const ring = buildRing(ids);
    const players = Array.from({ length: 1_000 }, (_, i) => `walker${i}`).filter((p) => ownerOf(ring, 'player', p) === 'v2').slice(0, 220);
    const phones = await Promise.all(players.map((p) => Phone.of(p)));
    const clients = [ready[0]!, ready[2]!].map((r) => new HuntClient(r.grpcAddress, credentials.createInsecure()));
    const scores = new Map<string, number>();
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 24 }, async () => {
          while (next < phones.length) {
            const i = next++;
            const ack = await phones[i]!.walk(clients[i % 2]!, 12, i);
            scores.set(phones[i]!.playerId, Number(ack.score));
          }
        }),
      );
      assert.ok([...scores.values()].every((s) => s > 0), 'every walker scored');

      const left = await quarryCli(['node', 'leave', '--node', ready[1]!.grpcAddress, '--json']);
      assert.equal(left.code, 0, left.stderr);
      assert.equal(await nodes[1]!.exited(), 0, `the leaver's exit code; stderr: ${nodes[1]!.stderr.slice(-500)}`);
      const pushed = nodes[1]!.lines.find((l) => l.msg === 'leave: stored actors pushed to their next owners')!;
      assert.ok(pushed, 'the leaver logged its push');
      assert.equal(pushed.failed, 0, JSON.stringify(pushed));
      assert.ok(Number(pushed.batches) > players.length / 256 + 1 && Number(pushed.bytes) > PUSH_BATCH_BYTES, `more than one batch by size: ${JSON.stringify(pushed)}`);

      // Read every one back: a fix at the beacon it stands at answers its score.
      const wrong: string[] = [];
      for (let i = 0; i < phones.length; i++) {
        const ack = await phones[i]!.fix(clients[i % 2]!, BEACONS[(i + 11 * 7) % BEACONS.length]!);
        if (Number(ack.score) !== scores.get(phones[i]!.playerId)) wrong.push(`${phones[i]!.playerId}: ${ack.score}, expected ${scores.get(phones[i]!.playerId)}`);
      }
      assert.deepEqual(wrong, [], 'every player keeps its score after the leave');
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('a leave that cannot hand its actors over fails loudly: the CLI exits non-zero and so does the node', async () => {
    const settings = { 'cluster.replicationFactor': 1, 'cluster.durability': 'local' };
    const a = box.start('w1', { ...settings, 'node.dataDir': join(box.dir, 'w1') });
    const ra = await a.ready();
    const b = box.start('w2', { ...settings, 'node.dataDir': join(box.dir, 'w2') }, {}, [ra.gossipAddress]);
    await b.ready();
    const ring = buildRing(['w1', 'w2']);
    const player = Array.from({ length: 100 }, (_, i) => `stuck${i}`).find((p) => ownerOf(ring, 'player', p) === 'w1')!;
    const client = new HuntClient(ra.grpcAddress, credentials.createInsecure());
    try {
      const phone = await Phone.of(player);
      for (let tries = 0; ; tries++) {
        const ack = await phone.fix(client, BEACONS[0]!).catch((err: ServiceError) => err);
        if ('accepted' in ack) break;
        assert.ok(tries < 50, `the first fix keeps failing: ${ack.details}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      client.close();
    }
    // w2 frozen: alive to w1 for a moment (so the leave is allowed), but it answers no push.
    b.child.kill('SIGSTOP');
    const left = await quarryCli(['node', 'leave', '--node', ra.grpcAddress, '--force', '--json']);
    assert.notEqual(left.code, 0, `the CLI: ${left.stdout} ${left.stderr}`);
    assert.match(left.stderr, /not handed over/);
    assert.equal(await a.exited(60_000), 1, 'the node that could not hand over exits 1');
    assert.ok(a.lines.some((l) => l.event === 'leave-failed' && Number(l.level) >= 50), 'logged at error level');
  });
});
