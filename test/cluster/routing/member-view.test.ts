import { strict as assert } from 'node:assert';
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../../actors/runtime/types.js';
import { DEFAULT_STALL_LIMIT_MS, MemberView, STALL_CHECK_INTERVAL_MS, VIEW_POLL_INTERVAL_MS } from '../../../cluster/routing/member-view.js';
import type { MemberChange, MemberSource } from '../../../cluster/routing/members.js';
import type { PeerView } from '../../../cluster/routing/quorum.js';
import { silentLogger as silent } from '../../../actors/runtime/port.js';

/** A membership whose live view the test sets, and peers whose `$view` answers the test sets (undefined: unreachable). */
class Script implements MemberSource {
  live: string[] = [];
  readonly declaredDead = new Set<() => void>();
  onDeclaredDead(listener: () => void): () => void {
    this.declaredDead.add(listener);
    return () => this.declaredDead.delete(listener);
  }
  readonly answers = new Map<string, PeerView>();
  /** Members told they must rejoin (`noticeRemoved`). */
  readonly notices: string[] = [];
  private readonly listeners = new Set<(c: MemberChange) => void>();
  liveMemberIds(): string[] {
    return this.live;
  }
  onChange(listener: (c: MemberChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(live: string[], change: MemberChange): void {
    this.live = live;
    for (const l of this.listeners) l(change);
  }
  ask(peer: string): Promise<PeerView> {
    const a = this.answers.get(peer);
    return a === undefined ? Promise.reject(new Error(`${peer} unreachable`)) : Promise.resolve(a);
  }
}

describe('cluster/routing: MemberView (keep-majority and rejoin after quorum loss; scripted membership, fake clock)', () => {
  let clock: FakeTimers.Clock;
  let script: Script;
  let view: MemberView;

  beforeEach(() => {
    clock = FakeTimers.createClock(0);
    const c = clockOf(clock);
    script = new Script();
    script.live = ['p1', 'p2', 'p3'];
    view = new MemberView({ nodeId: 'p3', members: script, clock: c, logger: silent, askView: (p) => script.ask(p), noticeRemoved: (p) => script.notices.push(p), changed: () => undefined });
    view.start();
  });
  afterEach(() => {
    view.close();
  });

  const cutOff = () => {
    script.set(['p2', 'p3'], { id: 'p1', state: 'dead' });
    script.set(['p3'], { id: 'p2', state: 'dead' });
  };

  it('starts with quorum over the joined view', () => {
    assert.equal(view.quorum, true);
    assert.deepEqual([...view.agreed].sort(), ['p1', 'p2', 'p3']);
  });

  it('cut off from both peers one at a time, it loses quorum and is rejoining; its ring stays the last agreed one', () => {
    cutOff();
    assert.equal(view.quorum, false);
    assert.equal(view.rejoining, true);
    // A ring of p3 alone would let an actor draining here commit writes with no replica, and acknowledge them.
    assert.deepEqual([...view.ringMembers].sort(), ['p1', 'p2', 'p3']);
  });

  it('hearing p1 again while p2 is unseen: a live majority of the stale agreed set, yet no quorum, because p1 vouches for p2', async () => {
    cutOff();
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2'], live: ['p1', 'p2', 'p3'] });
    script.set(['p1', 'p3'], { id: 'p1', state: 'alive' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 5);
    assert.equal(view.quorum, false, `quorum with live ${[...view.live]} and agreed ${[...view.agreed]}`);
    script.set(['p1', 'p2', 'p3'], { id: 'p2', state: 'alive' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS);
    assert.equal(view.quorum, true);
    assert.equal(view.rejoining, false);
    assert.deepEqual([...view.agreed].sort(), ['p1', 'p2', 'p3']);
  });

  it('a whole cluster that lost quorum (nobody serves) serves again once every member of the agreed set is back and answered', async () => {
    cutOff();
    script.answers.set('p1', { serving: false, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p3'] });
    script.set(['p1', 'p3'], { id: 'p1', state: 'alive' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 3);
    assert.equal(view.quorum, false, 'p2 not yet seen');
    script.set(['p1', 'p2', 'p3'], { id: 'p2', state: 'alive' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 3);
    assert.equal(view.quorum, false, 'p2 has not answered');
    script.answers.set('p2', { serving: false, agreed: ['p2', 'p3'], live: ['p2', 'p3'] });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 2);
    assert.equal(view.quorum, true);
  });

  it('a peer that only this node lost (asymmetric partition) stays agreed and on the ring while another peer sees it', async () => {
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] });
    script.set(['p1', 'p3'], { id: 'p2', state: 'dead' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 5);
    assert.equal(view.quorum, true);
    assert.deepEqual([...view.ringMembers].sort(), ['p1', 'p2', 'p3']);
    assert.deepEqual(view.claimPeers().sort(), ['p1', 'p2'], 'a claim must still hear from p2');
  });

  it('a failure confirmed by a peer leaves the agreed set and the ring', async () => {
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] });
    script.set(['p1', 'p3'], { id: 'p2', state: 'dead' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 2);
    assert.deepEqual([...view.agreed].sort(), ['p1', 'p2', 'p3'], 'p1 still sees p2');
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p3'] });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 2);
    assert.deepEqual([...view.ringMembers].sort(), ['p1', 'p3']);
    assert.equal(view.isDeparted('p2'), true, 'its late replication is refused');
    assert.equal(view.isDeparted('p9'), false, 'a member not heard of yet (a joiner ahead of gossip) is not departed');
    script.set(['p1', 'p2', 'p3'], { id: 'p2', state: 'alive' });
    assert.equal(view.isDeparted('p2'), false, 'live again');
  });

  it('a graceful leave drops out of the agreed set at once, without a quorum loss', () => {
    script.set(['p2', 'p3'], { id: 'p1', state: 'left' });
    assert.equal(view.quorum, true);
    assert.deepEqual([...view.agreed].sort(), ['p2', 'p3']);
  });

  it('does not poll while it serves and sees every agreed member', async () => {
    let asks = 0;
    const inner = script.ask.bind(script);
    script.ask = (p) => (asks++, inner(p));
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 10);
    assert.equal(asks, 0);
  });

  it('stopped longer than the stall limit (SIGSTOP, a long GC pause), it loses quorum though its view is unchanged, and rejoins through a serving peer', async () => {
    let changes = 0;
    view.close();
    view = new MemberView({ nodeId: 'p3', members: script, clock: clockOf(clock), logger: silent, askView: (p) => script.ask(p), noticeRemoved: (p) => script.notices.push(p), changed: () => void changes++ });
    view.start();
    await clock.tickAsync(STALL_CHECK_INTERVAL_MS * 3);
    assert.equal(view.quorum, true, 'ticks at the check interval are no stall');
    // The process stops: the clock moves on, no timer of ours runs until it continues.
    clock.setSystemTime(clock.now + DEFAULT_STALL_LIMIT_MS + 1_000);
    const before = changes;
    clock.tick(STALL_CHECK_INTERVAL_MS);
    assert.equal(view.quorum, false, 'its view is as old as the stall: peers may have moved its actors');
    assert.equal(view.rejoining, true);
    assert.equal(view.quorumLosses, 1, 'a replica answer that crossed the stall acknowledges nothing');
    assert.ok(changes > before, 'the router heard of it (it stops serving and drains what it hosts)');
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 2);
    assert.equal(view.quorum, true, 'rejoined once a serving peer answered');
    assert.equal(view.rejoining, false);
  });

  it('declared dead by a peer (it refutes and is taken back at once), it loses quorum though it saw nobody go, and rejoins', async () => {
    for (const l of script.declaredDead) l();
    assert.equal(view.quorum, false, 'peers may have moved its actors while they held it dead');
    assert.equal(view.rejoining, true);
    assert.equal(view.quorumLosses, 1);
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS * 2);
    assert.equal(view.quorum, true);
  });

  /** A view of p3 with a 450 ms lease over `heard` (when each peer was last heard from), replacing the default one. */
  const leasedView = (heard: Map<string, number>): MemberView => {
    view.close();
    const source = Object.assign(script, { lastHeardMs: (id: string) => heard.get(id) });
    view = new MemberView({ nodeId: 'p3', members: source, clock: clockOf(clock), logger: silent, askView: (p) => script.ask(p), noticeRemoved: (p) => script.notices.push(p), changed: () => undefined, leaseMs: 450 });
    view.start();
    return view;
  };

  it('fenced, then a serving peer answers that it no longer counts this node live: declared dead unheard, it rejoins', async () => {
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2'], live: ['p1', 'p2'] });
    script.answers.set('p2', { serving: true, agreed: ['p1', 'p2'], live: ['p1', 'p2'] });
    const heard = new Map([['p1', 0], ['p2', 0]]);
    leasedView(heard);
    await clock.tickAsync(STALL_CHECK_INTERVAL_MS * 6);
    assert.equal(view.fenced, true, 'nobody heard for over 450 ms');
    heard.set('p1', clock.now);
    heard.set('p2', clock.now);
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS);
    assert.equal(view.quorum, false, 'its memory is stale: the majority may serve its actors');
    assert.equal(view.rejoining, true);
  });

  it('a member it dropped on failure and sees live again is told to rejoin, and every $view answer says so until it asks as a rejoining node', async () => {
    script.answers.set('p2', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p2', 'p3'] });
    script.set(['p2', 'p3'], { id: 'p1', state: 'dead' });
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS);
    assert.deepEqual([...view.agreed].sort(), ['p2', 'p3'], 'p2 confirms p1 gone');
    assert.deepEqual(script.notices, []);
    script.set(['p1', 'p2', 'p3'], { id: 'p1', state: 'alive' });
    assert.deepEqual(script.notices, ['p1'], 'p1 may have served from memory the actors p2 and p3 took over');
    assert.equal(view.answer('p1', { rejoining: false }, true).rejoin, true);
    assert.equal(view.answer('p2', { rejoining: false }, true).rejoin, false);
    assert.equal(view.answer('p1', { rejoining: true }, true).rejoin, false, 'rejoining, it has dropped its memory');
    assert.equal(view.answer('p1', { rejoining: false }, true).rejoin, false);
  });

  it('told by a peer that it was dropped on failure and taken back (a notice, or a $view answer), it rejoins', async () => {
    view.answer('p1', { removed: true }, true);
    assert.equal(view.quorum, false, 'the notice alone: its memory is older than what the majority served');
    assert.equal(view.rejoining, true);
    const heard = new Map([['p1', 0], ['p2', 0]]);
    leasedView(heard);
    script.answers.set('p1', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'], rejoin: true });
    script.answers.set('p2', { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] });
    await clock.tickAsync(STALL_CHECK_INTERVAL_MS * 6);
    assert.equal(view.fenced, true);
    heard.set('p1', clock.now);
    heard.set('p2', clock.now);
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS);
    assert.equal(view.rejoining, true, 'p1 answered that it had taken this node back after dropping it');
  });

  it('not heard from a majority within the lease (a cut), it is fenced without dropping anything; heard again and vouched for, it handles again', async () => {
    const heard = new Map<string, number>([['p1', 0], ['p2', 0]]);
    leasedView(heard);
    const counted: PeerView = { serving: true, agreed: ['p1', 'p2', 'p3'], live: ['p1', 'p2', 'p3'] };
    script.answers.set('p1', counted);
    script.answers.set('p2', counted);
    for (let t = 0; t < 400; t += STALL_CHECK_INTERVAL_MS) {
      heard.set('p2', clock.now);
      await clock.tickAsync(STALL_CHECK_INTERVAL_MS);
    }
    assert.equal(view.fenced, false, 'p2 heard all along: a majority with this node');
    await clock.tickAsync(STALL_CHECK_INTERVAL_MS * 6);
    assert.equal(view.fenced, true, 'nobody heard for over 450 ms');
    assert.equal(view.quorum, true, 'nothing dropped for it');
    heard.set('p1', clock.now);
    await clock.tickAsync(VIEW_POLL_INTERVAL_MS);
    assert.equal(view.fenced, false, 'p1 heard again and answered that it counts this node live');
    script.set(['p1', 'p2', 'p3'], { id: 'p1', state: 'suspect' });
    script.set(['p1', 'p2', 'p3'], { id: 'p2', state: 'suspect' });
    assert.equal(view.fenced, false, 'suspicions alone (gossiped ones under load) fence nothing');
  });
});

function clockOf(clock: FakeTimers.Clock): Clock {
  return {
    now: () => clock.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (h) => clock.clearTimeout(h as FakeTimers.TimerId),
    setInterval: (fn, ms) => clock.setInterval(fn, ms),
    clearInterval: (h) => clock.clearInterval(h as FakeTimers.TimerId),
  };
}
