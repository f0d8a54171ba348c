/**
 * A private network made of Linux network namespaces, for cluster tests on a real network stack: one hub
 * namespace holding a bridge, and one namespace per host, each joined to the bridge by a veth pair and given one
 * address of `SUBNET` (a private /24 that exists only on this bridge: no interface of the machine is on it, no
 * namespace has a route out). Faults are nft rules inside the hosts' namespaces (testing/netns/nemesis.ts).
 *
 * Everything a run makes is named `qnem<pid>-...`, so deleting the namespaces removes the bridge, the veths and
 * the rules with them. `destroy()` does so; an exit or signal handler does it too when a test is interrupted, and
 * `sweepStale()` removes what a run killed with SIGKILL left behind (its pid is gone).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The test network's /24: its hosts are `${SUBNET}.<n>`. Each run has its own bridge, so runs never meet. */
export const SUBNET = '10.231.0';
/** Prefix of every namespace this harness makes; followed by the pid of the process that made it. */
export const NAMESPACE_PREFIX = 'qnem';

export class NetnsUnavailableError extends Error {
  override readonly name = 'NetnsUnavailableError';
}

export interface NetHost {
  /** Short name (`n1`, `nats`, `clients`). */
  readonly name: string;
  /** The namespace's name, for `ip netns exec`. */
  readonly ns: string;
  readonly address: string;
}

/**
 * Why namespaces cannot be used here, or undefined when they can: root, `ip netns` and `nft` are needed (CI runs as
 * root and `.ci/run` installs nftables). A caller that gets a reason must say it plainly, never pass silently.
 */
export function netnsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root, as CI does)';
  for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['nats-server', 'nats-server']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed (apt-get install ${pkg}; .ci/run does)`;
  }
  const probe = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `ip netns add failed: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Deletes namespaces of earlier runs whose process is gone (killed before it could clean up), after killing what runs in them. */
export function sweepStale(): string[] {
  const swept: string[] = [];
  for (const ns of listNamespaces()) {
    const m = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(ns);
    if (m === null || processAlive(Number(m[1]))) continue;
    deleteNamespace(ns);
    swept.push(ns);
  }
  return swept;
}

export class TestNetwork {
  private readonly hub: string;
  private readonly hosts: NetHost[] = [];
  private readonly cleanups: Array<() => void> = [];
  private destroyed = false;
  private readonly onExit = () => this.destroy();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.destroy();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };

  /** `tag` keeps the names of two networks of one process apart. */
  constructor(readonly tag: string) {
    const reason = netnsUnavailableReason();
    if (reason !== undefined) throw new NetnsUnavailableError(reason);
    sweepStale();
    this.hub = this.nsName('hub');
    process.once('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    try {
      run('ip', ['netns', 'add', this.hub]);
      run('ip', ['-n', this.hub, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
      run('ip', ['-n', this.hub, 'link', 'set', 'br0', 'up']);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** A new namespace on the bridge at `${SUBNET}.<octet>`, with loopback up and no route beyond the /24. */
  addHost(name: string, octet: number): NetHost {
    if (!(Number.isInteger(octet) && octet >= 2 && octet <= 254)) throw new RangeError(`octet must be an integer from 2 to 254, got ${octet}`);
    const host: NetHost = { name, ns: this.nsName(name), address: `${SUBNET}.${octet}` };
    const hubSide = `v${octet}`;
    run('ip', ['netns', 'add', host.ns]);
    this.hosts.push(host);
    run('ip', ['-n', host.ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', this.hub, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns]);
    run('ip', ['-n', this.hub, 'link', 'set', hubSide, 'master', 'br0', 'up']);
    run('ip', ['-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    run('ip', ['-n', host.ns, 'link', 'set', 'eth0', 'up']);
    return host;
  }

  /** The command line that runs `argv` inside `host`'s namespace. */
  exec(host: NetHost, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', host.ns, ...argv];
  }

  /** Loads an nft ruleset (stdin of `nft -f -`) inside `host`'s namespace. */
  nft(host: NetHost, ruleset: string): void {
    run('ip', ['netns', 'exec', host.ns, 'nft', '-f', '-'], ruleset);
  }

  /** Runs `fn` (synchronous: it may run in an exit handler) after the namespaces are deleted, e.g. to remove temp dirs. */
  onDestroy(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Kills whatever still runs in the namespaces and deletes them all (bridge, veths and rules go with them). Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const host of this.hosts) deleteNamespace(host.ns);
    deleteNamespace(this.hub);
    for (const fn of this.cleanups) fn();
  }

  private nsName(name: string): string {
    return `${NAMESPACE_PREFIX}${process.pid}-${this.tag}-${name}`;
  }
}

function run(cmd: string, args: string[], input?: string): void {
  try {
    execFileSync(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'], input: input ?? '' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`${cmd} ${args.join(' ')} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

function listNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NAMESPACE_PREFIX)) : [];
}

function deleteNamespace(ns: string): void {
  if (!existsSync(`/var/run/netns/${ns}`) && !existsSync(`/run/netns/${ns}`)) return;
  // A namespace lives on while a process is in it: kill those first (our own children; nothing else enters it).
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
