/**
 * gateway/h2stream/hook.ts and header-metadata.ts read @grpc/grpc-js's private parts (`Server.http2Servers`,
 * `onStreamOpened`, the single 'stream' listener, `Metadata.internalRepr`), which any release may change. Their
 * start-up probe checks only the shape of those parts, so the version is pinned and this test makes an upgrade a
 * deliberate act: it fails, naming both versions, until the hooks are re-verified and `HOOKED_GRPC_JS_VERSION` moves.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HOOKED_GRPC_JS_VERSION } from '../../../gateway/h2stream/hook.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function versionOf(packageJsonPath: string): string {
  return (JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version: string }).version;
}

describe('h2stream: the installed @grpc/grpc-js is the version the hooks were written for (issue 18)', () => {
  it('the installed @grpc/grpc-js is HOOKED_GRPC_JS_VERSION', () => {
    // Resolved as the gateway resolves it at run time, not by a path guessed from the repository root.
    const installed = versionOf(createRequire(import.meta.url).resolve('@grpc/grpc-js/package.json'));
    assert.equal(
      installed,
      HOOKED_GRPC_JS_VERSION,
      `@grpc/grpc-js ${installed} is installed but gateway/h2stream/hook.ts was written for ${HOOKED_GRPC_JS_VERSION}: ` +
        're-verify hook.ts and header-metadata.ts against the new build/src/server.js and metadata.js, then set HOOKED_GRPC_JS_VERSION and package.json to it',
    );
  });

  it('package.json pins @grpc/grpc-js to exactly HOOKED_GRPC_JS_VERSION (no range an `npm update` could move)', () => {
    const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(
      manifest.dependencies['@grpc/grpc-js'],
      HOOKED_GRPC_JS_VERSION,
      `package.json asks for @grpc/grpc-js "${manifest.dependencies['@grpc/grpc-js']}" but the hooks were written for ${HOOKED_GRPC_JS_VERSION}`,
    );
  });
});
