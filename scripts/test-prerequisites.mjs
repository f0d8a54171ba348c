// `npm test`'s pretest step: the tests start a real nats-server and a real headless Chromium. When one is missing,
// root on Debian/Ubuntu installs it with apt-get (what CI needs); anyone else is stopped at once, before the build
// and three minutes of tests, with the command to run. Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the tests launch: the path the browser tests use (test/gateway/web/support/browser.ts reads the same variable). */
export function chromiumPath(env) {
  return env.QUARRY_CHROMIUM_PATH || '/usr/bin/chromium';
}

/** The Debian/Ubuntu package that provides each prerequisite. */
const PACKAGES = { 'nats-server': 'nats-server', chromium: 'chromium' };

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command, env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, command)));
}

/** The prerequisites this machine lacks, in a fixed order. */
export function findMissing(env) {
  const missing = [];
  if (!onPath('nats-server', env)) missing.push('nats-server');
  if (!isExecutable(chromiumPath(env))) missing.push('chromium');
  return missing;
}

/** `ID` and `ID_LIKE` of /etc/os-release, e.g. ['ubuntu', 'debian']; empty when there is no such file. */
export function osIds(osRelease) {
  const ids = [];
  for (const line of osRelease.split('\n')) {
    const m = /^(ID|ID_LIKE)=["']?([^"'\n]*)["']?$/.exec(line.trim());
    if (m) ids.push(...m[2].split(/\s+/).filter(Boolean));
  }
  return ids;
}

/**
 * What to do about `missing`: nothing, install (root on a Debian-like system with apt-get), or stop with a message
 * that holds the exact command. Pure, so the table is tested as it is.
 */
export function plan({ missing, root, ids, aptGet, chromium }) {
  if (missing.length === 0) return { action: 'ready' };
  const packages = missing.map((m) => PACKAGES[m]);
  const debianLike = ids.includes('debian') || ids.includes('ubuntu');
  if (root && debianLike && aptGet) return { action: 'install', packages };
  const why = `npm test needs ${missing.join(' and ')}: the tests start a real nats-server and a headless Chromium at ${chromium}.`;
  if (debianLike) {
    return { action: 'stop', message: `${why}\nInstall ${missing.length > 1 ? 'them' : 'it'}, then run npm test again:\n\n  sudo apt-get install -y ${packages.join(' ')}\n` };
  }
  const steps = [];
  if (missing.includes('nats-server')) steps.push('  nats-server on PATH: https://docs.nats.io/running-a-nats-service/introduction/installation');
  if (missing.includes('chromium')) steps.push(`  Chromium or Chrome, then: export QUARRY_CHROMIUM_PATH=/path/to/chromium (now ${chromium})`);
  return { action: 'stop', message: `${why}\nInstall, then run npm test again:\n\n${steps.join('\n')}\n` };
}

function readOsRelease() {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

function main() {
  const env = process.env;
  const missing = findMissing(env);
  const decision = plan({
    missing,
    root: process.getuid?.() === 0,
    ids: osIds(readOsRelease()),
    aptGet: onPath('apt-get', env),
    chromium: chromiumPath(env),
  });
  if (decision.action === 'ready') return 0;
  if (decision.action === 'stop') {
    process.stderr.write(decision.message);
    return 1;
  }
  console.error(`test prerequisites: installing ${decision.packages.join(' ')} (apt-get, as root)`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...decision.packages]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv });
    if (r.status !== 0) {
      console.error(`test prerequisites: apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
      return 1;
    }
  }
  const still = findMissing(env);
  if (still.length > 0) {
    console.error(`test prerequisites: apt-get installed ${decision.packages.join(' ')}, yet ${still.join(' and ')} is not found (PATH=${env.PATH}, chromium at ${chromiumPath(env)})`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
