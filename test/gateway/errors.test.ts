import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { HandlerError, MailboxFullError, PersistError } from '../../actors/runtime/errors.js';
import { ReplicationUnavailableError } from '../../cluster/routing/replicating-store.js';
import { HandoffPendingError, OwnerUnreachableError, RemoteActorError, UnavailableError, errorCodeOf } from '../../cluster/routing/errors.js';
import { AskTimeoutError, LinkClosedError, LinkOverloadedError } from '../../cluster/transport/errors.js';
import { errorFromReply, errorToReply } from '../../cluster/routing/replies.js';
import { toGrpcError } from '../../gateway/errors.js';

/** A failure on another node as the asker sees it: the handler's error through its reply's wire code. */
function viaWire(err: unknown): Error {
  return errorFromReply(errorToReply(err), 'n2', 'player/p1');
}

describe('gateway/errors: a cluster failure under a handler is a retriable status, never INTERNAL', () => {
  const table: Array<[string, unknown, status]> = [
    ['a player whose beacon lives on a dead node (local)', new HandlerError('player/p1', { cause: new OwnerUnreachableError('beacon/k1', 'n3') }), status.UNAVAILABLE],
    ['the same on another node', viaWire(new HandlerError('player/p1', { cause: new OwnerUnreachableError('beacon/k1', 'n3') })), status.UNAVAILABLE],
    ['a beacon mid-handoff on another node', viaWire(new HandlerError('player/p1', { cause: new HandoffPendingError('beacon/k1', 'n3 did not release it in time') })), status.UNAVAILABLE],
    ['a link whose queue is full', new LinkOverloadedError('n2', 10_000, 1, '10000 envelopes'), status.RESOURCE_EXHAUSTED],
    ['a full link under a handler on another node', viaWire(new HandlerError('player/p1', { cause: new LinkOverloadedError('n3', 10_000, 1, '10000 envelopes') })), status.RESOURCE_EXHAUSTED],
    ['a full mailbox on another node', viaWire(new MailboxFullError('beacon/k1', 10)), status.RESOURCE_EXHAUSTED],
    ['a peer that did not answer in time (outcome unknown)', new AskTimeoutError('n2', 7, 0), status.DEADLINE_EXCEEDED],
    ['a link that closed under a handler', new HandlerError('player/p1', { cause: new LinkClosedError('n2', 'peer cancelled the stream') }), status.UNAVAILABLE],
    ['a commit whose replica just died (replicated durability)', new PersistError('player/p1', { cause: new ReplicationUnavailableError('no replica reachable') }), status.UNAVAILABLE],
    ['the same on another node', viaWire(new PersistError('player/p1', { cause: new ReplicationUnavailableError('no replica reachable') })), status.UNAVAILABLE],
    ['a bug in a handler stays INTERNAL', new HandlerError('player/p1', { cause: new TypeError('x is undefined') }), status.INTERNAL],
    ['a bug in a handler on another node stays INTERNAL', viaWire(new HandlerError('player/p1', { cause: new TypeError('x is undefined') })), status.INTERNAL],
    ['an unknown error stays INTERNAL', new Error('boom'), status.INTERNAL],
  ];
  for (const [what, err, code] of table) {
    it(`${what} -> ${status[code]}`, () => {
      const s = toGrpcError(err);
      assert.equal(s.code, code);
      if (code !== status.INTERNAL) assert.ok(!/internal error/.test(s.details!), s.details);
    });
  }

  it('a handler that died of a cluster failure replies with that failure\'s code, not HandlerError', () => {
    assert.equal(errorCodeOf(new HandlerError('player/p1', { cause: new LinkClosedError('n2', 'gone') })), 'LinkClosedError');
    assert.equal(errorCodeOf(new HandlerError('player/p1', { cause: new OwnerUnreachableError('beacon/k1', 'n3') })), 'OWNER_UNREACHABLE');
    assert.equal(errorCodeOf(new HandlerError('player/p1', { cause: new TypeError('bug') })), 'HandlerError');
    assert.ok(viaWire(new HandlerError('player/p1', { cause: new OwnerUnreachableError('beacon/k1', 'n3') })) instanceof OwnerUnreachableError);
    assert.ok(viaWire(new LinkOverloadedError('n2', 1, 1, 'x')) instanceof RemoteActorError);
  });

  it('a refusal from another node reads once in the status details, alone or under a handler', () => {
    const refusal = 'node n2 is unavailable: not heard from a majority of the agreed members within the lease';
    const fromPeer = viaWire(new UnavailableError('n2', 'not heard from a majority of the agreed members within the lease'));
    assert.equal(toGrpcError(fromPeer).details, `${refusal}; retry`);
    assert.equal(toGrpcError(new HandlerError('player/p1', { cause: fromPeer })).details, `${refusal}; retry with backoff`);
  });
});
