import assert from 'node:assert/strict';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { handlerErrorStatus } from '../../gateway/errors.js';

describe("gateway/errors handlerErrorStatus: a handler's error as the status grpc-js sends (serverErrorToStatus), on both protocols", () => {
  const errorMd = new Metadata();
  errorMd.set('x-from', 'error');
  const callbackMd = new Metadata();
  callbackMd.set('x-from', 'callback');
  const cases: Array<[string, unknown, Metadata | undefined, Partial<StatusObject>]> = [
    ['code and details', { code: status.PERMISSION_DENIED, details: 'not yours' }, undefined, { code: status.PERMISSION_DENIED, details: 'not yours' }],
    ['code, details win over message', Object.assign(new Error('msg'), { code: status.NOT_FOUND, details: 'gone' }), undefined, { code: status.NOT_FOUND, details: 'gone' }],
    ['code without details: the message', Object.assign(new Error('bad fix'), { code: status.INVALID_ARGUMENT }), undefined, { code: status.INVALID_ARGUMENT, details: 'bad fix' }],
    ['plain Error: UNKNOWN with its message', new Error('boom'), undefined, { code: status.UNKNOWN, details: 'boom' }],
    ['details without a numeric code are ignored', { code: 'E_X', details: 'ignored', message: 'used' }, undefined, { code: status.UNKNOWN, details: 'used' }],
    ['non-integer code is ignored', { code: 2.5, message: 'm' }, undefined, { code: status.UNKNOWN, details: 'm' }],
    ['out-of-range integer code is kept (grpc-js does not check)', { code: 99, details: 'odd' }, undefined, { code: 99 as status, details: 'odd' }],
    ['no message: Unknown Error', { code: 'x' }, undefined, { code: status.UNKNOWN, details: 'Unknown Error' }],
    ['not an object: Unknown Error', 'a string', undefined, { code: status.UNKNOWN, details: 'Unknown Error' }],
    ["the error's metadata", { code: status.ABORTED, details: 'a', metadata: errorMd }, undefined, { code: status.ABORTED, details: 'a', metadata: errorMd }],
    ["the callback's trailers win over the error's metadata", { code: status.ABORTED, details: 'a', metadata: errorMd }, callbackMd, { code: status.ABORTED, details: 'a', metadata: callbackMd }],
  ];
  for (const [name, err, trailers, expected] of cases) {
    it(name, () => assert.deepEqual(handlerErrorStatus(err, trailers), expected));
  }
});
