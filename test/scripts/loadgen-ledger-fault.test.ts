/**
 * The load generator's loss check against a real node with a test-only fault: the node acknowledges some fixes
 * without the player's actor ever applying (or committing) them. The ledger must count each such ack as lost, and
 * must stay quiet on the same node without the fault, trap beacons (negative points) included.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadHuntFile } from '../../actors/hunt/index.js';
import type { FixAck } from '../../actors/hunt/messages.js';
import { runLoad, type LoadOptions } from '../../scripts/loadgen/run.js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from '../gateway/support-real-node.js';
import { SAMPLE_HUNT_FILE } from '../gateway/web/support/web-stack.js';

const SECRET = 'ledger-fault-test-secret-0123456789ab';
/** The seq of the fix each faulty player gets a forged ack for. */
const FORGED_SEQ = 4;

describe('scripts/loadgen ledger against a node that acks without committing (real node, test-only fault)', function () {
  this.timeout(90_000);
  let node: QuarryNode;
  let dataDir: string;
  /** Players whose fix FORGED_SEQ is acknowledged without reaching their actor. */
  const faulty = new Set<string>();
  let forged = 0;
  let trapAwards = 0;

  before(async () => {
    ({ node, dataDir } = await startRealNode('ledger-fault', SECRET, { 'ops.logLevel': 'warn' }));
    const game = node.game;
    const reportFix = game.reportFix.bind(game);
    // The fault: an ack with +100 points that no actor applied, so nothing was committed either.
    game.reportFix = async (playerId, fix): Promise<FixAck> => {
      if (faulty.has(playerId) && fix.clientSeq === FORGED_SEQ) {
        forged++;
        const { score } = await game.profile(playerId);
        return { accepted: true, closestBeaconId: 'k000', score: score + 100, awards: [{ beaconId: 'k000', points: 100, reason: 'forged by the test' }], achievements: [], claimedTreasures: [] };
      }
      const ack = await reportFix(playerId, fix);
      if (ack.awards.some((a) => a.points < 0)) trapAwards++;
      return ack;
    };
  });

  after(async () => {
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const load = (playerPrefix: string, seed: number): LoadOptions => ({
    targets: [{ grpc: node.grpcAddress }],
    beacons: loadHuntFile(SAMPLE_HUNT_FILE).beacons,
    players: 300,
    fixIntervalMs: 250,
    durationS: 5,
    rampUpS: 1,
    tokenSecret: SECRET,
    playerPrefix,
    seed,
    workers: 1,
    progress: false,
  });

  it('stays quiet without the fault, trap beacons included', async () => {
    const report = await runLoad(load('clean-', 5));
    const summary = JSON.stringify({ ...report, failuresByDetails: undefined });
    assert.deepEqual(report.fixesFailedByStatus, {}, summary);
    assert.ok(report.fixesAcked > 1_000, summary);
    assert.ok(trapAwards > 0, `no trap beacon was visited, so the run checks nothing about them: ${summary}`);
    assert.equal(report.lostAckedFixes, 0, summary);
    assert.equal(report.unverifiedPlayers, 0, summary);
  });

  it('counts every forged ack as a lost acked fix, exactly', async () => {
    for (let i = 0; i < 300; i += 30) faulty.add(`forged-${i}`);
    const report = await runLoad(load('forged-', 6));
    const summary = JSON.stringify({ ...report, failuresByDetails: undefined });
    assert.equal(forged, faulty.size, `every faulty player reached seq ${FORGED_SEQ}: ${summary}`);
    assert.equal(report.lostAckedFixes, faulty.size, summary);
    assert.equal(report.unverifiedPlayers, 0, summary);
  });
});
