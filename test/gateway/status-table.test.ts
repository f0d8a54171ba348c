import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { InvalidFixError, InvalidHuntRequestError } from '../../actors/hunt/index.js';
import { AskTimeoutError, HandlerError, HostClosedError, MailboxFullError, PersistError } from '../../actors/runtime/errors.js';
import { ForwardLimitError, HandoffPendingError, OwnerUnreachableError, UnavailableError } from '../../cluster/routing/errors.js';
import { ReplicationUnavailableError } from '../../cluster/routing/replicating-store.js';
import { LinkClosedError, LinkOverloadedError } from '../../cluster/transport/errors.js';
import { NodeAtCapacityError } from '../../gateway/admission.js';
import { PermissionDeniedError, UnauthenticatedError } from '../../gateway/auth/index.js';
import { toGrpcError } from '../../gateway/errors.js';
import { InvalidCursorError } from '../../gateway/notify/cursor.js';
import { InvalidGrpcTimeoutError } from '../../gateway/grpcweb/timeout.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One error per name of the README's "raised as" column, as the game, runtime and cluster throw it. */
const SAMPLES: Record<string, unknown> = {
  UnauthenticatedError: new UnauthenticatedError('token expired'),
  PermissionDeniedError: new PermissionDeniedError('token is for bob'),
  InvalidFixError: new InvalidFixError('unknownBeacon', 'unknown beacon nope'),
  InvalidHuntRequestError: new InvalidHuntRequestError('badTopN', 'topN must be 1..100'),
  'InvalidHuntRequestError(unknownBuilding)': new InvalidHuntRequestError('unknownBuilding', 'no building nope'),
  InvalidCursorError: new InvalidCursorError('cursor for an unknown channel'),
  InvalidGrpcTimeoutError: new InvalidGrpcTimeoutError('soon'),
  NodeAtCapacityError: new NodeAtCapacityError('player calls', 256, 100),
  MailboxFullError: new MailboxFullError('player/p1', 10_000),
  LinkOverloadedError: new LinkOverloadedError('n2', 10_000, 1, '10000 envelopes'),
  AskTimeoutError: new AskTimeoutError('player/p1', 5_000),
  UnavailableError: new UnavailableError('n1', 'not joined to a cluster yet'),
  HostClosedError: new HostClosedError('player/p1'),
  OwnerUnreachableError: new OwnerUnreachableError('beacon/k1', 'n3'),
  LinkClosedError: new LinkClosedError('n2', 'peer went away'),
  HandoffPendingError: new HandoffPendingError('beacon/k1', 'n3 did not release it in time'),
  ForwardLimitError: new ForwardLimitError('player/p1', 3),
  ReplicationUnavailableError: new PersistError('player/p1', { cause: new ReplicationUnavailableError('no replica reachable') }),
  'any other error': new HandlerError('player/p1', { cause: new TypeError('x is undefined') }),
};

/** Rows answered by the edge's protocol layer rather than `toGrpcError`: the test that checks each. */
const TESTED_ELSEWHERE: Record<string, string> = {
  'request too large': 'test/gateway/grpcweb/link-beside-players.test.ts',
  'unknown method': 'test/gateway/grpcweb/adapter.test.ts',
};

interface Row {
  status: string;
  raisedAs: string[];
}

function statusRows(): Row[] {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const section = readme.split('\n## Statuses a player can see\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'README has the section "Statuses a player can see"');
  return section
    .split('\n')
    .filter((l) => /^\| `[A-Z_]+` \|/.test(l))
    .map((l) => {
      const cells = l.split(' | ');
      const raised = cells[3]!.replace(/ \|$/, '');
      return { status: cells[0]!.replace(/^\| `|`$/g, ''), raisedAs: raised === 'any other error' ? [raised] : [...raised.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) };
    });
}

describe('README "Statuses a player can see": every row is what the edge answers (issue 19, item 6)', () => {
  const rows = statusRows();

  it('the table has a row per status a player can meet', () => {
    assert.deepEqual(rows.map((r) => r.status), ['UNAUTHENTICATED', 'PERMISSION_DENIED', 'INVALID_ARGUMENT', 'NOT_FOUND', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED', 'UNAVAILABLE', 'UNIMPLEMENTED', 'INTERNAL']);
  });

  for (const row of rows) {
    it(`${row.status}: ${row.raisedAs.join(', ')}`, () => {
      assert.ok(row.raisedAs.length > 0, 'the row names what raises it');
      for (const name of row.raisedAs) {
        if (name in TESTED_ELSEWHERE) {
          assert.ok(existsSync(`${ROOT}${TESTED_ELSEWHERE[name]}`), `${name} is checked by ${TESTED_ELSEWHERE[name]}`);
          continue;
        }
        assert.ok(name in SAMPLES, `no sample for ${name}: add one`);
        const s = toGrpcError(SAMPLES[name]);
        assert.equal(status[s.code], row.status, `${name} -> ${status[s.code]} (${s.details})`);
        if (row.status !== 'INTERNAL') assert.ok(!/internal error/.test(String(s.details)), String(s.details));
      }
    });
  }

  it('every typed error the edge maps is in the table', () => {
    const documented = new Set(rows.flatMap((r) => r.raisedAs));
    assert.deepEqual(Object.keys(SAMPLES).filter((n) => !documented.has(n)), []);
  });
});
