// Regenerates proto/gen from proto/*.proto: buf (its binary ships in the npm package) drives ts-proto.
// `npm run proto` is the only way proto/gen is produced; test/proto/fresh.test.ts fails when it is stale.
// Usage: node scripts/proto-gen.mjs [BASE_DIR]   (writes BASE_DIR/proto/gen; default: the checkout)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const base = process.argv[2] ?? '.';
rmSync(join(base, 'proto/gen'), { recursive: true, force: true });
execFileSync('npx', ['--no-install', 'buf', 'generate', '--template', 'buf.gen.yaml', '-o', base], { stdio: 'inherit' });
