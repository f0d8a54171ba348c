import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http2';
import { Metadata, logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { HeaderMetadata, LAZY_METADATA_WORKS, metadataOf, requestMetadata } from '../../../gateway/h2stream/header-metadata.js';

/** Request headers as Node's http2 hands them to a 'stream' listener (lower-case keys, repeated ones as arrays). */
function headers(extra: IncomingHttpHeaders = {}): IncomingHttpHeaders {
  return {
    ':method': 'POST',
    ':path': '/quarry.hunt.v1.Hunt/ReportFix',
    ':scheme': 'http',
    ':authority': '127.0.0.1:7000',
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': '10000m',
    'grpc-accept-encoding': 'identity,deflate,gzip',
    'user-agent': 'grpc-node-js/1.14.7',
    authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln',
    ...extra,
  };
}

// Keys a handler may ask for: plain, absent, removed by grpc-js, upper case, binary, repeated, illegal value, pseudo.
const KEYS = ['authorization', 'x-absent', 'grpc-timeout', 'te', 'content-type', 'Authorization', 'trace-bin', 'x-twice', 'x-bad', ':path', 'bad key'];
const EXTRA: IncomingHttpHeaders = { 'trace-bin': Buffer.from([1, 2, 3]).toString('base64'), 'x-twice': ['a', 'b'], 'x-bad': 'caf\u00e9' };

describe('h2stream/header-metadata: request metadata built only when needed', () => {
  // grpc-js logs each value it drops (x-bad) at ERROR; the drop is what is compared here. grpc-js has no getter for
  // the level: back to what GRPC_VERBOSITY set (its default, ERROR, when unset).
  before(() => setLogVerbosity(logVerbosity.NONE));
  after(() => setLogVerbosity(logVerbosity[(process.env['GRPC_VERBOSITY'] ?? 'ERROR').toUpperCase() as keyof typeof logVerbosity] ?? logVerbosity.ERROR));

  it('is what native calls get with this grpc-js (the probe passed)', () => {
    assert.equal(LAZY_METADATA_WORKS, true);
    assert.ok(metadataOf(headers()) instanceof HeaderMetadata);
  });

  it('reads one plain value without building the map; anything more builds it once', () => {
    const build = Metadata.fromHttp2Headers;
    let builds = 0;
    Metadata.fromHttp2Headers = (h) => (builds++, build.call(Metadata, h));
    try {
      const md = new HeaderMetadata(headers());
      md.get('authorization');
      md.get('grpc-timeout');
      md.get('x-absent');
      assert.equal(builds, 0);
      md.getMap();
      md.toJSON();
      assert.equal(builds, 1);
    } finally {
      Metadata.fromHttp2Headers = build;
    }
  });

  it('clear() lets go of the headers without building the map', () => {
    const md = new HeaderMetadata(headers());
    const build = Metadata.fromHttp2Headers;
    Metadata.fromHttp2Headers = () => assert.fail('built the map to clear it');
    try {
      md.clear();
      assert.deepEqual(md.get('authorization'), []);
      assert.deepEqual(md.getMap(), {});
    } finally {
      Metadata.fromHttp2Headers = build;
    }
  });

  for (const key of KEYS) {
    it(`get(${JSON.stringify(key)}) answers as grpc-js's own metadata does`, () => {
      const h = headers(EXTRA);
      assert.deepEqual(new HeaderMetadata(h).get(key), requestMetadata(h).get(key));
    });
  }

  it('every other method sees the metadata grpc-js builds (map, JSON, headers out, clone)', () => {
    const h = headers(EXTRA);
    const want = requestMetadata(h);
    assert.deepEqual(new HeaderMetadata(h).getMap(), want.getMap());
    assert.deepEqual(new HeaderMetadata(h).toJSON(), want.toJSON());
    assert.deepEqual(new HeaderMetadata(h).toHttp2Headers(), want.toHttp2Headers());
    const clone = new HeaderMetadata(h).clone();
    assert.deepEqual(clone.toJSON(), want.toJSON());
  });

  it('another Metadata merging it reads the built map (grpc-js reads internalRepr directly)', () => {
    const into = new Metadata();
    into.set('x-own', '1');
    into.merge(new HeaderMetadata(headers()));
    assert.deepEqual(into.get('authorization'), ['Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln']);
    assert.deepEqual(into.get('x-own'), ['1']);
  });

  it('writes and removals after a fast read apply to the full metadata', () => {
    const md = new HeaderMetadata(headers());
    assert.deepEqual(md.get('authorization'), ['Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln']);
    md.set('x-added', 'yes');
    md.remove('authorization');
    assert.deepEqual(md.get('authorization'), []);
    assert.deepEqual(md.get('x-added'), ['yes']);
    assert.deepEqual(md.get('user-agent'), ['grpc-node-js/1.14.7'], 'the rest of the headers are still there');
    for (const key of Object.keys(md.getMap())) md.remove(key);
    assert.deepEqual(md.getMap(), {});
  });

  it('an empty one (no headers but the pseudo ones) reads as empty', () => {
    const md = new HeaderMetadata({ ':path': '/x' });
    assert.deepEqual(md.get('authorization'), []);
    assert.deepEqual(md.getMap(), {});
  });
});
