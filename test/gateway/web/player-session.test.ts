/**
 * The page's session logic in Node (no DOM) against the real gRPC-web adapter and auth with the fake Hunt:
 * fixes, streamed events, resume after the stream ends, gap reporting, and auth failures.
 */
import assert from 'node:assert/strict';
import type { BleReading } from '../../../proto/gen/hunt.js';
import { HuntWebClient } from '../../../gateway/web/hunt-client.js';
import { toHuntMap } from '../../../gateway/web/hunt-map.js';
import type { PageState } from '../../../gateway/web/page-state.js';
import { PlayerSession, type ConnectionState } from '../../../gateway/web/player-session.js';
import { SMALL_HUNT } from './support/small-hunt.js';
import { startWebStack, type WebStack } from './support/web-stack.js';
import { within } from './support/wait.js';
import { waitFor } from '../../../testing/wait.js';

const WAIT_MS = 10_000;
const FAST = { fixIntervalMs: 30, leaderboardRefreshMs: 100, minReconnectDelayMs: 20, maxReconnectDelayMs: 200, callTimeoutMs: 5000 };

/** A session plus a way to wait for a state it will reach (registered before the trigger). */
function harness(stack: WebStack, playerId: string, token: string) {
  let readings: BleReading[] = [];
  let latest: PageState | undefined;
  const waiters: Array<{ pred: (s: PageState) => boolean; resolve: () => void }> = [];
  const connection: ConnectionState[] = [];
  const fatal: string[] = [];
  const session = new PlayerSession(new HuntWebClient({ baseUrl: stack.baseUrl, token: () => token }), playerId, toHuntMap(stack.hunt), {
    onState(s) {
      latest = s;
      for (const w of [...waiters]) {
        if (!w.pred(s)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    onConnection: (state) => connection.push(state),
    onFatal: (message) => fatal.push(message),
    scan: () => readings,
  }, FAST);
  return {
    session,
    connection,
    fatal,
    walk(to: BleReading[]) {
      readings = to;
    },
    reach(pred: (s: PageState) => boolean, phase: string): Promise<void> {
      const reached = new Promise<void>((resolve) => waiters.push({ pred, resolve }));
      return within(latest !== undefined && pred(latest) ? Promise.resolve() : reached, WAIT_MS, () => `${phase} (${playerId}): state not reached; last seen ${JSON.stringify(latest)}`);
    },
  };
}

describe('gateway/web player session', () => {
  let stack: WebStack;
  const sessions: PlayerSession[] = [];

  before(async () => {
    stack = await startWebStack(SMALL_HUNT);
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.stop();
  });
  after(async () => {
    await stack.close();
  });

  it('reports scans, applies acks and streamed events, loads the treasure list and leaderboard, resumes and reports gaps', async () => {
    const h = harness(stack, 'alice', await stack.tokenFor('alice'));
    sessions.push(h.session);
    h.walk([{ beaconId: 'k1', rssiDbm: -61 }]);
    // The fix's ack and the events it caused come on different HTTP requests, in either order: the events and the
    // leaderboard alone (score from the board) can show all of this before the ack, so wait for the ack too.
    const visited = h.reach(
      (s) => s.fixesAccepted > 0 && s.score === 10 && s.feed.some((f) => f.award.beaconId === 'k1') && s.treasureList?.treasures[0]?.claimedBy.includes('alice') === true && s.leaderboard?.own?.rank === 1,
      'first-visit phase',
    );
    h.session.start();
    await visited;
    const state = h.session.current;
    assert.deepEqual([state.buildingId, state.closestBeaconId, state.gaps], ['hq', 'k1', []]);
    assert.ok(h.connection.includes('live'), `connection states ${h.connection.join(',')}`);

    // The server ends the stream (a draining node): the session resumes from its cursor.
    const cursor = state.cursor['user.alice']!;
    assert.ok(cursor > 0);
    stack.fake.endStreams();
    await waitFor(() => stack.fake.subscribeRequests.length >= 2 && stack.fake.openStreams() === 1, { phase: 'resume', expected: 'a second Subscribe, one stream open', seen: () => stack.fake.subscribeRequests, timeoutMs: WAIT_MS });
    assert.equal(stack.fake.subscribeRequests[1]!.afterSeq, cursor);

    // An event lost beyond retention shows up as a gap on the personal channel; nothing is applied twice.
    stack.fake.loseNextEvent('alice');
    const gapped = h.reach((s) => s.gaps.length === 1 && s.feed.some((f) => f.award.beaconId === 'k2'), 'gap phase');
    h.walk([{ beaconId: 'k2', rssiDbm: -70 }]);
    await gapped;
    const after = h.session.current;
    assert.equal(after.gaps[0]!.channel, 'user.alice');
    assert.equal(after.gaps[0]!.afterSeq, cursor);
    assert.equal(new Set(after.feed.map((f) => f.seq)).size, after.feed.length, 'no event applied twice');
    assert.deepEqual(after.feed.map((f) => f.award.beaconId), ['k2', 'k1']);
    assert.equal(after.score, 35);
  });

  it('stops and explains an UNAUTHENTICATED token', async () => {
    const h = harness(stack, 'mallory', await stack.tokenFor('mallory', 'another-secret-0123456789abcdefghijklmn'));
    sessions.push(h.session);
    h.session.start();
    await waitFor(() => h.fatal.length > 0, { phase: 'forged token', expected: 'onFatal', seen: () => `connection states ${h.connection.join(',')}`, timeoutMs: WAIT_MS });
    assert.match(h.fatal[0]!, /^Your token was not accepted \(UNAUTHENTICATED: .+\)\. .*quarry token issue --player mallory/);
    assert.equal(h.connection.at(-1), 'failed');
    assert.equal(stack.fake.player('mallory'), undefined, 'nothing reached the game');
  });

  it('stops and explains a token of another player (PERMISSION_DENIED)', async () => {
    const h = harness(stack, 'carol', await stack.tokenFor('dave'));
    sessions.push(h.session);
    h.session.start();
    await waitFor(() => h.fatal.length > 0, { phase: 'wrong player', expected: 'onFatal', seen: () => `connection states ${h.connection.join(',')}`, timeoutMs: WAIT_MS });
    assert.match(h.fatal[0]!, /may not play as "carol" \(PERMISSION_DENIED: /);
  });
});
