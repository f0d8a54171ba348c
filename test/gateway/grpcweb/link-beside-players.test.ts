/**
 * A node's one grpc-js Server carries node links beside the player service (node/start-node.ts). A link's
 * batch may be far larger than any player message: links must not inherit the player limit (a leave's push of
 * ~67 KB failed against the 64 KiB default and lost actors), while players keep it on both call paths.
 */
import assert from 'node:assert/strict';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { CLAIM_ANSWER_MAX_BYTES } from '../../../cluster/routing/claim-batch.js';
import { PUSH_BATCH_BYTES } from '../../../cluster/routing/leave-push.js';
import { GrpcTransport } from '../../../cluster/transport/grpc.js';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_QUEUED_BYTES } from '../../../cluster/transport/options.js';
import { Fix, HuntClient, type FixAck } from '../../../proto/gen/hunt.js';
import { KEY, envelope, startNode, type TestNode } from '../../cluster/transport/support.js';
import { TEST_MAX_MESSAGE_BYTES, startTestGateway, type TestGateway } from './support/gateway.js';

/** Well over the player limit, well under a link's queue bound. */
const LINK_PAYLOAD_BYTES = 200 * 1024;
/** Room for an envelope's own fields and framing beside its payload. */
const ENVELOPE_OVERHEAD_BYTES = 1024;
/**
 * What the cluster sends in one link message, at its limits: a link batch; a leave's push (closed once past
 * PUSH_BATCH_BYTES, so up to one more actor over it, here as large again); a claim answer (likewise); and the largest
 * single envelope a link queues at all, whatever sends it (LinkOverloadedError beyond).
 */
const AT_THE_LIMITS: Array<[string, number]> = [
  ['a full link batch', DEFAULT_MAX_BATCH_BYTES],
  ['a leave push one large actor past PUSH_BATCH_BYTES', 2 * PUSH_BATCH_BYTES],
  ['a claim answer one large actor past CLAIM_ANSWER_MAX_BYTES', 2 * CLAIM_ANSWER_MAX_BYTES],
  ['the largest envelope a link queues', DEFAULT_MAX_QUEUED_BYTES - ENVELOPE_OVERHEAD_BYTES],
];

function nativeFix(client: HuntClient, fix: Fix, md: Metadata): Promise<FixAck> {
  return new Promise((resolve, reject) => client.reportFix(fix, md, (err, res) => (err ? reject(err) : resolve(res))));
}

for (const nativeStreams of [true, false]) {
  describe(`gateway/server: a node link beside the player service (${nativeStreams ? 'native hook' : 'grpc-js path'})`, function () {
    this.timeout(20_000);
    let gw: TestGateway;
    let hosted: GrpcTransport;
    let peer: TestNode;
    let player: HuntClient;
    before(async () => {
      hosted = new GrpcTransport({ nodeId: 'a', clusterKey: KEY });
      // A payload of 8 bytes asks for a reply of the size it encodes; any other is answered with its length.
      hosted.onEnvelope(async (env) => ({
        correlationId: 0,
        payload: env.payload.length === 8 ? Buffer.alloc(Number(Buffer.from(env.payload).readBigUInt64BE())) : Buffer.from(String(env.payload.length)),
        errorCode: '',
        errorMessage: '',
      }));
      gw = await startTestGateway({ nativeStreams, beforeBind: (server) => hosted.addToServer(server), nativeOnlyMaxMessageBytes: hosted.maxMessageBytes });
      peer = await startNode('b');
      await peer.transport.connect('a', gw.grpcAddress);
      player = new HuntClient(gw.grpcAddress, credentials.createInsecure());
    });
    after(async () => {
      player?.close();
      await peer?.stop();
      await hosted?.close();
      await gw?.close();
    });

    it(`carries a ${LINK_PAYLOAD_BYTES}-byte envelope over the link (player limit ${TEST_MAX_MESSAGE_BYTES})`, async () => {
      const reply = await peer.transport.ask('a', envelope(new Uint8Array(LINK_PAYLOAD_BYTES)), Date.now() + 10_000);
      assert.equal(reply.errorCode, '');
      assert.equal(Buffer.from(reply.payload).toString(), String(LINK_PAYLOAD_BYTES));
      assert.equal(peer.transport.linkState('a'), 'up');
    });

    it('the link limit is above every batch the cluster sends and independent of the player limit', () => {
      for (const [what, bytes] of AT_THE_LIMITS) assert.ok(bytes + ENVELOPE_OVERHEAD_BYTES <= hosted.maxMessageBytes, `${what}: ${bytes} bytes, link limit ${hosted.maxMessageBytes}`);
      assert.ok(hosted.maxMessageBytes > TEST_MAX_MESSAGE_BYTES);
    });

    for (const [what, bytes] of AT_THE_LIMITS) {
      it(`carries ${what} (${bytes} bytes) each way`, async () => {
        const there = await peer.transport.ask('a', envelope(new Uint8Array(bytes)), Date.now() + 20_000);
        assert.equal(Buffer.from(there.payload).toString(), String(bytes));
        const size = Buffer.alloc(8);
        size.writeBigUInt64BE(BigInt(bytes));
        const back = await peer.transport.ask('a', envelope(size), Date.now() + 20_000);
        assert.equal(back.errorCode, '');
        assert.equal(back.payload.length, bytes);
        assert.equal(peer.transport.linkState('a'), 'up');
      });
    }

    it('still refuses a player message over gateway.maxMessageBytes', async () => {
      const md = new Metadata();
      md.set('authorization', `Bearer ${await gw.token('sam')}`);
      const big = Fix.fromPartial({ playerId: 'sam', readings: [{ beaconId: 'x'.repeat(TEST_MAX_MESSAGE_BYTES), rssiDbm: 0 }] });
      const err = (await nativeFix(player, big, md).catch((e: ServiceError) => e)) as ServiceError;
      // The hook answers RESOURCE_EXHAUSTED itself; grpc-js answers a failed deserialisation INTERNAL.
      assert.equal(err.code, nativeStreams ? status.RESOURCE_EXHAUSTED : status.INTERNAL);
      assert.equal(gw.hunt.acceptedFixes.length, 0);
    });
  });
}
