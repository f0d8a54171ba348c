// Builds the player page's script: type-checks the browser files (DOM typings live in
// gateway/web/tsconfig.json, not the root config), then bundles gateway/web/app.ts with the ts-proto
// encoders into dist/gateway/web/static/app.js. Run after tsc and copy-assets.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/gateway/web/static/app.js';

try {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'gateway/web/tsconfig.json'], { stdio: 'inherit' });
} catch {
  console.error('build-web: type errors in the browser files (gateway/web/tsconfig.json), see above');
  process.exit(1);
}

// proto/gen/hunt.ts also exports grpc-js client/server glue the page never calls; stub the package so
// the browser bundle does not pull in Node's http2.
const stubGrpcJs = {
  name: 'stub-grpc-js',
  setup(b) {
    b.onResolve({ filter: /^@grpc\/grpc-js$/ }, () => ({ path: 'grpc-js', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export class Client {}\nexport function makeGenericClientConstructor() { return class {}; }\n',
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['gateway/web/app.ts'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  minify: false,
  logLevel: 'warning',
  plugins: [stubGrpcJs],
});
