// Copies non-TypeScript assets (web pages, sample hunts) next to the compiled JavaScript,
// so `node dist/...` finds them at the same relative paths as the sources.
import { cpSync, existsSync } from 'node:fs';

const assetDirs = ['gateway/web/static', 'ops/inspector/static', 'actors/hunt/samples'];
for (const dir of assetDirs) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
