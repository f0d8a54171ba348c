/**
 * Proof that a hunt message crossing nodes goes through the protobuf codecs: two whole nodes in this process
 * (`startNode`: LMDB, ActorHost routed through the router, grpc-js links on loopback, UDP membership), each with the hunt kinds
 * whose codecs are wrapped to record the bytes they encode and decode. A fix entering node A for a player owned by
 * B reaches B as a `quarry.actors.v1.PlayerMessage`, and its FixAck comes back to A as a `PlayerReply`.
 * The multi-process hunt tests (test/ops/tracing.test.ts, test/ops/admin/real-node.test.ts) run the same codecs.
 */
import assert from 'node:assert/strict';
import { huntKinds, loadHuntFile } from '../../../actors/hunt/index.js';
import type { FixAck, PlayerMsg, PlayerView } from '../../../actors/hunt/messages.js';
import type { Codec, KindDef } from '../../../actors/runtime/types.js';
import type { ClusterNode } from '../../../node/index.js';
import { MSGPACK } from '../../../cluster/routing/wire-codec.js';
import * as pb from '../../../proto/gen/actors.js';
import { waitFor } from '../../../testing/wait.js';
import { SAMPLE_HUNT_FILE, startTestNode } from '../../../testing/node.js';

/** Per node: `<kind>.<message|reply>.<encode|decode>` -> every byte string that went through that codec. */
type Seen = Map<string, Uint8Array[]>;

/** The transport hands payloads over as Buffers; compare bytes, not classes. */
const hex = (list: Uint8Array[] | undefined): string[] => (list ?? []).map((b) => Buffer.from(b).toString('hex'));

function recording(def: KindDef<any, any, any, any, any>, seen: Seen): KindDef<any, any, any, any, any> {
  const wrap = (codec: Codec<any>, what: string): Codec<any> => {
    const note = (op: string, bytes: Uint8Array): void => {
      const key = `${def.name}.${what}.${op}`;
      seen.set(key, [...(seen.get(key) ?? []), bytes]);
    };
    return {
      encode: (v) => {
        const bytes = codec.encode(v);
        note('encode', bytes);
        return bytes;
      },
      decode: (bytes) => (note('decode', bytes), codec.decode(bytes)),
    };
  };
  assert.ok(def.messageCodec && def.replyCodec, `${def.name} has no codecs`);
  return { ...def, messageCodec: wrap(def.messageCodec, 'message'), replyCodec: wrap(def.replyCodec, 'reply') };
}

interface WireNode {
  node: ClusterNode;
  gossip: string;
  seen: Seen;
  stop(): Promise<void>;
}

describe('hunt messages between two real cluster nodes are protobuf', function () {
  this.timeout(60_000);
  const hunt = loadHuntFile(SAMPLE_HUNT_FILE);
  const kinds = huntKinds(hunt);
  const nodes: WireNode[] = [];

  /** A whole node (startNode) hosting the hunt's kinds with recording codecs in place of the hunt's own. */
  async function start(id: string, seeds: string[]): Promise<WireNode> {
    const seen: Seen = new Map();
    const started = await startTestNode(`wire-${id}`, { 'cluster.key': 'wire-codecs-test-cluster-key-0123', 'node.id': id, 'node.seeds': seeds }, { kinds: huntKinds(hunt).all.map((d) => recording(d, seen)) });
    const t: WireNode = { node: started.node.cluster, gossip: started.node.gossipAddress, seen, stop: started.stop };
    nodes.push(t);
    return t;
  }

  let a: WireNode;
  let b: WireNode;
  before(async () => {
    a = await start('wa', []);
    b = await start('wb', [a.gossip]);
    await waitFor(() => [a, b].every((t) => t.node.router.serving && t.node.router.liveIds.size === 2 && t.node.router.ownerOf('player', 'x') === a.node.router.ownerOf('player', 'x')), {
      phase: 'ring', expected: 'wa and wb serving with one ring of both', timeoutMs: 20_000,
      seen: () => [a, b].map((t) => `${t.node.id} serving=${t.node.router.serving} live=[${[...t.node.router.liveIds].join(',')}]`).join('; '),
    });
  });
  after(async () => {
    for (const t of nodes) await t.stop();
  });

  it('a fix entering A for a player owned by B crosses as PlayerMessage and its FixAck as PlayerReply', async () => {
    const playerId = Array.from({ length: 200 }, (_, i) => `wire-ü-${i}`).find((p) => a.node.router.ownerOf('player', p) === 'wb');
    assert.ok(playerId !== undefined, 'no player of 200 is owned by wb');
    // A bare address: `router.ref` would register `kinds.player`, another object than the recording definition.
    const playerRef = { kind: kinds.player.name, key: playerId };
    const beaconId = hunt.beacons[0]!.id;
    const msg: PlayerMsg = { type: 'fix', fix: { clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId, rssiDbm: -55 }] } };

    const ack = (await a.node.router.ask(playerRef, msg)) as FixAck;
    assert.equal(ack.accepted, true);
    assert.equal(ack.closestBeaconId, beaconId);

    // B decoded exactly what A encoded, and those bytes are the protobuf message (msgpack would not read them as it).
    const sent = a.seen.get('player.message.encode') ?? [];
    const received = b.seen.get('player.message.decode') ?? [];
    assert.equal(sent.length, 1, 'A encoded one player message');
    assert.deepEqual(hex(received), hex(sent), 'B decoded the bytes A sent');
    const wire = pb.PlayerMessage.decode(received[0]!);
    assert.deepEqual(wire.msg?.$case === 'fix' && { seq: wire.msg.value.clientSeq, beacon: wire.msg.value.readings[0]?.beaconId }, { seq: 1, beacon: beaconId });
    assert.notDeepEqual((() => { try { return MSGPACK.decode(received[0]!); } catch { return 'not msgpack'; } })(), msg);

    const replies = b.seen.get('player.reply.encode') ?? [];
    assert.deepEqual(hex(a.seen.get('player.reply.decode')), hex(replies), 'A decoded the reply bytes B encoded');
    const reply = pb.PlayerReply.decode(replies[0]!);
    assert.equal(reply.reply?.$case, 'fixAck');

    const view = (await a.node.router.ask(playerRef, { type: 'profile' })) as PlayerView;
    assert.deepEqual({ playerId: view.playerId, score: view.score, lastSeq: view.lastSeq }, { playerId, score: ack.score, lastSeq: 1 });
    assert.equal(pb.PlayerReply.decode(b.seen.get('player.reply.encode')!.at(-1)!).reply?.$case, 'view');
  });

  it('a profile read entering A for a passivated player owned by B is answered by B from its store, activating it nowhere', async () => {
    const playerId = Array.from({ length: 200 }, (_, i) => `peek-${i}`).find((p) => a.node.router.ownerOf('player', p) === 'wb');
    assert.ok(playerId !== undefined, 'no player of 200 is owned by wb');
    const playerRef = { kind: kinds.player.name, key: playerId };
    const beacon = hunt.beacons[0]!;
    const ack = (await a.node.router.ask(playerRef, { type: 'fix', fix: { clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: beacon.id, rssiDbm: -55 }] } } as PlayerMsg)) as FixAck;
    assert.equal(ack.closestBeaconId, beacon.id);
    await b.node.host.deactivate(playerRef);
    assert.equal(b.node.host.metrics(playerRef), undefined, 'passivated on B');

    const decodedBefore = (b.seen.get('player.message.decode') ?? []).length;
    const view = (await a.node.router.ask(playerRef, { type: 'profile' })) as PlayerView;
    assert.deepEqual({ score: view.score, lastSeq: view.lastSeq, building: view.session.buildingId }, { score: ack.score, lastSeq: 1, building: beacon.buildingId });
    assert.equal((b.seen.get('player.message.decode') ?? []).length, decodedBefore + 1, 'the read crossed to the owner');
    assert.equal(b.node.host.metrics(playerRef), undefined, 'not activated on B');
    assert.equal(a.node.host.metrics(playerRef), undefined, 'not activated on A');
  });
});
