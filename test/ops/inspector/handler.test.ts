import assert from 'node:assert/strict';
import { fakeActor, fakeTarget, type FakeTarget } from '../admin/support/fake-target.js';
import { serveTarget, type Served } from '../admin/support/serve.js';
import { openSse } from './sse-client.js';

const TOKEN = 'fake-inspector-operator-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('inspector HTTP API over a fake target', () => {
  let n: Served<FakeTarget>;
  beforeEach(async () => {
    n = await serveTarget((addr) => fakeTarget('n1', addr), TOKEN, 100);
    n.target.actors = [fakeActor('n1', 'player', 'alice', { points: 10 }), fakeActor('n1', 'player', 'bob'), fakeActor('n1', 'building', 'hq')];
  });
  afterEach(() => n.close());

  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${n.httpUrl}${path}`, { headers });
  const json = async (path: string): Promise<any> => (await get(path)).json();

  it('every API path needs the operator credential (401 with a reason); the page itself does not', async () => {
    for (const path of ['/inspector/api/members', '/inspector/api/search?prefix=a', '/inspector/api/actor/player/alice', '/inspector/api/actor/player/alice/events', '/inspector/api/members/events']) {
      const none = await get(path, {});
      assert.equal(none.status, 401, path);
      assert.match(((await none.json()) as any).error, /operator credential required/);
      assert.equal((await get(path, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401, path);
    }
    const page = await get('/inspector', {});
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Quarry inspector/);
    assert.equal((await get('/inspector/inspector.js', {})).status, 200);
  });

  it('is read-only (405) and leaves other paths to the next handler', async () => {
    const post = await fetch(`${n.httpUrl}/inspector/api/members`, { method: 'POST', headers: auth });
    assert.equal(post.status, 405);
    assert.equal((await get('/elsewhere')).status, 404);
    assert.equal((await get('/inspector/api/nope')).status, 404);
  });

  it('members, search, actors by kind and node, and one actor with parsed state', async () => {
    const members = await json('/inspector/api/members');
    assert.deepEqual(members.members.map((m: { id: string; activeActorsByKind: unknown }) => [m.id, m.activeActorsByKind]), [['n1', { player: 2, building: 1 }]]);
    const search = await json('/inspector/api/search?kind=player&prefix=al');
    assert.deepEqual(search.actors.map((a: { kind: string; key: string }) => `${a.kind}/${a.key}`), ['player/alice']);
    const byNode = await json('/inspector/api/actors?kind=player&node=n1');
    assert.deepEqual(byNode.actors.map((a: { key: string }) => a.key), ['alice', 'bob']);
    assert.deepEqual((await json('/inspector/api/actors?node=n9')).actors, []);
    assert.equal((await get('/inspector/api/search?limit=0')).status, 400);
    const alice = await json('/inspector/api/actor/player/alice');
    assert.deepEqual([alice.node, alice.state, alice.messagesHandled, alice.recent, alice.audit], ['n1', { points: 10 }, 1, [], []]);
    const missing = await get('/inspector/api/actor/player/nobody');
    assert.equal(missing.status, 404);
  });

  it('streams an actor live: a change on the node is pushed as a new snapshot', async () => {
    const sse = await openSse(`${n.httpUrl}/inspector/api/actor/player/alice/events`, auth);
    try {
      await sse.next((e) => e.ok && e.data.state.points === 10, 'first snapshot of player/alice');
      n.target.changeActor('player', 'alice', { state: { points: 70 }, messagesHandled: 2 });
      const ev = await sse.next((e) => e.ok && e.data.state.points === 70, 'player/alice after a handled message');
      assert.equal(ev.data.messagesHandled, 2);
    } finally {
      sse.close();
    }
  });

  it('streams the member list live', async () => {
    const sse = await openSse(`${n.httpUrl}/inspector/api/members/events`, auth);
    try {
      await sse.next((e) => e.ok && e.data.members.length === 1, 'first member list');
      n.target.changeMembers([...n.target.membersList, { id: 'n2', address: 'g2:1', state: 'suspect', incarnation: 4 }]);
      const ev = await sse.next((e) => e.ok && e.data.members.length === 2, 'member list after n2 appeared');
      assert.deepEqual(ev.data.members.map((m: { id: string; state: string }) => `${m.id}:${m.state}`), ['n1:alive', 'n2:suspect']);
    } finally {
      sse.close();
    }
  });
});
