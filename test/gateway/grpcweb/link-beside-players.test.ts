/**
 * A node's one grpc-js Server carries node links beside the player service (scripts/node-process.ts). A link's
 * batch may be far larger than any player message: links must not inherit the player limit (a leave's push of
 * ~67 KB failed against the 64 KiB default and lost actors), while players keep it on both call paths.
 */
import assert from 'node:assert/strict';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { GrpcTransport } from '../../../cluster/transport/grpc.js';
import { Fix, HuntClient, type FixAck } from '../../../proto/gen/hunt.js';
import { KEY, envelope, startNode, type TestNode } from '../../cluster/transport/support.js';
import { TEST_MAX_MESSAGE_BYTES, startTestGateway, type TestGateway } from './support/gateway.js';

/** Well over the player limit, well under a link's queue bound. */
const LINK_PAYLOAD_BYTES = 200 * 1024;

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
      hosted.onEnvelope(async (env) => ({ correlationId: 0, payload: Buffer.from(String(env.payload.length)), errorCode: '', errorMessage: '' }));
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
