/**
 * Operator commands over a node's Admin service: `quarry node join|leave|drain`, `quarry cluster status`,
 * `quarry ring`, `quarry inspect`. Register after `registerNode` (the `node` group is shared).
 */
import { Command, Option, type CommanderError } from 'commander';
import { status as grpcStatus } from '@grpc/grpc-js';
import { SingleBar } from 'cli-progress';
import { adminClient, isServiceError, type Admin } from '../../ops/admin/client.js';
import { formatPlan, formatRing, formatStatus, formatTable } from '../../ops/admin/format.js';
import { details } from '../../ops/inspector/handler.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, unauthenticated: 3, unavailable: 4, interrupted: 130 } as const;

const EXIT_HELP = `
Exit codes: 0 ok, 1 failure, 2 bad usage or config, 3 unauthenticated (missing or wrong operator token),
4 unavailable (node not reachable or timed out), 130 interrupted (Ctrl-C).
The operator token comes from --token or QUARRY_OPS_OPERATOR_TOKEN; it is never printed.`;

interface Common {
  node: string;
  token?: string;
  json?: boolean;
  timeoutMs: string;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function common(cmd: Command, examples: string): Command {
  return cmd
    .requiredOption('--node <host:port>', 'gRPC address of the node to ask (its Admin service)')
    .addOption(new Option('--token <token>', 'operator token (ops.operatorToken)').env('QUARRY_OPS_OPERATOR_TOKEN'))
    .option('--json', 'print one JSON document instead of a table')
    .option('--timeout-ms <ms>', 'deadline of each call in ms', '10000')
    .showHelpAfterError()
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .addHelpText('after', `\nExamples:\n${examples}\n${EXIT_HELP}`);
}

/** Runs one command: builds the client, maps errors to the documented exit codes, closes the channel. */
async function run(opts: Common, body: (admin: Admin, timeoutMs: number) => Promise<void>): Promise<never> {
  let admin: Admin | undefined;
  let code: number = EXIT.ok;
  try {
    if (!opts.token) throw new UsageError('no operator token: pass --token or set QUARRY_OPS_OPERATOR_TOKEN');
    if (!/^[^\s:]+:\d+$/.test(opts.node) && !/^\[[^\]]+\]:\d+$/.test(opts.node)) throw new UsageError(`--node must be host:port, got ${JSON.stringify(opts.node)}`);
    const timeoutMs = Number(opts.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout-ms must be a positive integer, got ${opts.timeoutMs}`);
    admin = adminClient(opts.node, opts.token);
    await body(admin, timeoutMs);
  } catch (err) {
    code = exitCodeOf(err);
    const msg = isServiceError(err) ? `${grpcStatus[err.code]}: ${err.details}` : err instanceof Error ? err.message : String(err);
    console.error(`quarry: ${msg}`);
  } finally {
    admin?.close();
  }
  process.exit(code);
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (!isServiceError(err)) return EXIT.failure;
  switch (err.code) {
    case grpcStatus.UNAUTHENTICATED:
    case grpcStatus.PERMISSION_DENIED:
      return EXIT.unauthenticated;
    case grpcStatus.UNAVAILABLE:
    case grpcStatus.DEADLINE_EXCEEDED:
      return EXIT.unavailable;
    case grpcStatus.INVALID_ARGUMENT:
      return EXIT.usage;
    case grpcStatus.CANCELLED:
      return EXIT.interrupted;
    default:
      return EXIT.failure;
  }
}

const print = (json: boolean | undefined, value: unknown, human: () => string) => console.log(json ? JSON.stringify(value) : human());

export function registerCluster(program: Command): void {
  const node = program.commands.find((c) => c.name() === 'node') ?? program.command('node').description('run and manage Quarry nodes');

  common(node.command('join').description('make a running node join a cluster through seed members'), '  quarry node join --node 127.0.0.1:50051 --seed 10.0.0.2:7946 --seed 10.0.0.3:7946')
    .requiredOption('--seed <host:port>', 'gossip address of a member (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action((opts: Common & { seed: string[] }) =>
      run(opts, async (admin, timeoutMs) => {
        const s = await admin.join(opts.seed, { timeoutMs });
        print(opts.json, s, () => formatStatus(s));
      }),
    );

  common(
    node.command('leave').description('gracefully leave: hand every actor off, leave the cluster, and the node exits (Ctrl-C aborts; the node stays); refused for the last serving member or when leaving breaks quorum'),
    '  quarry node leave --node 127.0.0.1:50051\n  quarry node leave --node 127.0.0.1:50051 --json   # one JSON progress line per update\n  quarry node leave --node 127.0.0.1:50051 --force  # even the last member (players get UNAVAILABLE)',
  )
    .option('--force', 'leave even when this node is the last serving member or its leaving breaks quorum')
    .action((opts: Common & { force?: boolean }) =>
      run(opts, async (admin) => {
        const abort = new AbortController();
        const onSigint = () => abort.abort();
        process.once('SIGINT', onSigint);
        const bar = opts.json ? undefined : new SingleBar({ format: 'leaving |{bar}| {value}/{total} actors moved, {remaining} remaining | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 });
        let started = false;
        try {
          await admin.leave((p) => {
            if (opts.json) return console.log(JSON.stringify(p));
            const total = p.moved + p.remaining;
            if (!started) {
              bar!.start(total, p.moved, { remaining: p.remaining });
              started = true;
            } else {
              bar!.setTotal(total);
              bar!.update(p.moved, { remaining: p.remaining });
            }
          }, abort.signal, { force: opts.force === true });
        } catch (err) {
          if (abort.signal.aborted) {
            bar?.stop();
            console.error('quarry: leave aborted; the node stays a member');
            process.exit(EXIT.interrupted);
          }
          throw err;
        } finally {
          process.off('SIGINT', onSigint);
          if (started) bar!.stop();
        }
        if (!opts.json) console.log('left the cluster');
      }),
    );

  common(node.command('drain').description('show what a graceful leave would move, per kind (dry run only: nothing moves)'), '  quarry node drain --node 127.0.0.1:50051 --dry-run\n  quarry node drain --node 127.0.0.1:50051 --dry-run --json')
    .option('--dry-run', 'required: only report the plan')
    .action((opts: Common & { dryRun?: boolean }) =>
      run(opts, async (admin, timeoutMs) => {
        if (!opts.dryRun) throw new UsageError('drain only plans for now: pass --dry-run (use `quarry node leave` to move actors)');
        const p = await admin.drainPlan({ timeoutMs });
        print(opts.json, p, () => formatPlan(p));
      }),
    );

  const cluster = program.command('cluster').description('cluster-wide views from any node');
  common(cluster.command('status').description('members with state, incarnation, address, ring share, active actors per kind and event-loop lag'), '  quarry cluster status --node 127.0.0.1:50051\n  QUARRY_OPS_OPERATOR_TOKEN=... quarry cluster status --node 127.0.0.1:50051 --json | jq .members')
    .action((opts: Common) =>
      run(opts, async (admin, timeoutMs) => {
        const s = await admin.status({ timeoutMs });
        print(opts.json, s, () => formatStatus(s));
      }),
    );

  common(program.command('ring').description('who owns what share of the hash ring'), '  quarry ring --node 127.0.0.1:50051')
    .action((opts: Common) =>
      run(opts, async (admin, timeoutMs) => {
        const s = await admin.status({ timeoutMs, local: true });
        const out = { checksum: s.ringChecksum, shares: Object.fromEntries(s.members.filter((m) => m.ringShare > 0).map((m) => [m.id, m.ringShare])) };
        print(opts.json, out, () => formatRing(s));
      }),
    );

  common(program.command('inspect').description('one actor: node, state, mailbox depth, messages handled, recent messages with diffs, audit').argument('<kind/key>', 'the actor, e.g. player/alice'), '  quarry inspect player/alice --node 127.0.0.1:50051\n  quarry inspect building/hq --node 127.0.0.1:50051 --json | jq .state')
    .action((actor: string, opts: Common) =>
      run(opts, async (admin, timeoutMs) => {
        const slash = actor.indexOf('/');
        if (slash <= 0 || slash === actor.length - 1) throw new UsageError(`actor must be kind/key, got ${JSON.stringify(actor)}`);
        const d = details(await admin.inspect(actor.slice(0, slash), actor.slice(slash + 1), { timeoutMs }));
        print(opts.json, d, () => formatActor(d));
      }),
    );
}

function formatActor(d: ReturnType<typeof details>): string {
  const time = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');
  const metrics = formatTable(['FIELD', 'VALUE'], [
    ['actor', `${d.kind}/${d.key}`], ['node', d.node], ['active', d.active ? 'yes' : 'no (stored state)'], ['mailbox depth', String(d.mailboxDepth)],
    ['messages handled', String(d.messagesHandled)], ['last activity', time(d.lastActivityMs)], ['passivation due', time(d.passivationDueMs)],
    ['activation count', String(d.activationCount)], ['snapshot seq', String(d.snapshotSeq)],
  ]);
  const recent = (d.recent as { atMs: number; msg: unknown; diff: { op: string; path: unknown[]; before?: unknown; after?: unknown }[] }[])
    .map((m) => `  ${time(m.atMs)} ${JSON.stringify(m.msg)}\n${m.diff.map((c) => `    ${c.op} ${c.path.join('.') || '(state)'} ${c.op !== 'add' ? JSON.stringify(c.before) : ''}${c.op === 'change' ? ' -> ' : ''}${c.op !== 'remove' ? JSON.stringify(c.after) : ''}`).join('\n')}`)
    .join('\n');
  return `${metrics}\n\nstate:\n${JSON.stringify(d.state, null, 2)}\n\nrecent messages:\n${recent || '  (none recorded)'}\n\naudit:\n${(d.audit as unknown[]).map((a) => `  ${JSON.stringify(a)}`).join('\n') || '  (none)'}`;
}
