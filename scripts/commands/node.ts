import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { createLogger } from '../../ops/log.js';
import { DataDirLockedError } from '../../actors/store/index.js';
import { JoinTimeoutError } from '../../node/join.js';
import type { QuarryNode } from '../../node/start-node.js';
import { bindErrorMessage, ConfigError } from '../../ops/config/index.js';
import { configOrExit, USAGE_EXIT_CODE, withConfigOptions } from './options.js';

/** Exit codes of `quarry node start` (as the operator commands': README, "The quarry command"). */
const EXIT_USAGE = USAGE_EXIT_CODE;
const EXIT_UNAVAILABLE = 4;

export function registerNode(program: Command): void {
  const node = program.command('node').description('run a Quarry node');
  withConfigOptions(
    node
      .command('start')
      .description('start a node; logs structured JSON lines, among them {"event":"listening","gossipAddress":...} and membership changes')
      .option('--join <host:port>', 'gossip address of a member to join (repeatable; added to node.seeds)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .addHelpText('after', '\nExamples:\n  quarry node start --config node.yaml\n  quarry node start --set node.id=n2 --set node.gossipPort=0 --join 127.0.0.1:7946'),
  ).action(async (opts: { config?: string; set?: Record<string, string>; join: string[] }) => {
    const config = configOrExit(opts);
    // Read by V8 at each GC, so setting it before the node allocates anything is enough (see ops.v8Pretenuring).
    if (!config.ops.v8Pretenuring) setFlagsFromString('--no-allocation-site-pretenuring');
    const logger = createLogger({ level: config.ops.logLevel, nodeId: config.node.id, traceIds: config.ops.tracingEnabled });
    // Tracing starts before the node's modules load, as OpenTelemetry wants; it is a no-op unless enabled.
    const { startTracing } = await import('../../ops/telemetry/tracing.js');
    const { OtelEnvError } = await import('../../ops/telemetry/otel-env.js');
    const tracing = await startTracing({ enabled: config.ops.tracingEnabled, sampleRatio: config.ops.tracingSampleRatio, nodeId: config.node.id, logger }).catch((err: unknown) => {
      if (!(err instanceof OtelEnvError)) throw err;
      // A bad OTEL_* value is bad configuration like a bad setting: exit code 2 with the variable named.
      console.error(err.message);
      process.exit(2);
    });
    const { startNode } = await import('../../node/index.js');
    const exit = (code: number) => logger.flush(() => process.exit(code));
    let quarry: QuarryNode;
    try {
      quarry = await startNode({ config, logger, extraSeeds: opts.join });
    } catch (err) {
      if (err instanceof DataDirLockedError) {
        logger.error({ event: 'data-dir-locked', dataDir: err.dir, holderPid: err.holderPid }, err.message);
        console.error(`quarry: ${err.message}`);
        return exit(EXIT_USAGE);
      }
      // A setting found wrong only now (a port in use, an unreadable hunt file or certificate) is the operator's to
      // fix: one line naming the setting, exit 2 like any config error, no stack trace.
      const message = err instanceof ConfigError ? err.message : bindErrorMessage(err, config.node);
      if (message === undefined) throw err;
      console.error(message);
      return exit(EXIT_USAGE);
    }
    let stopping = false;
    const shutdown = (reason: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'leaving', reason }, 'leaving the cluster');
      quarry
        .stop()
        .then(
          () => code,
          (err: unknown) => {
            logger.error({ event: 'leave-failed', err }, 'leave failed');
            return 1;
          },
        )
        // A collector that is down costs the export of the last spans, never the exit code (tracing.ts logs it).
        .then((exitCode) => tracing.shutdown().then(() => exit(exitCode)));
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // `quarry node leave` hands off and leaves through the Admin service; the process then finishes the stop by itself.
    quarry.left.then(
      () => shutdown('node leave'),
      () => shutdown('node leave'),
    );
    try {
      await quarry.joined;
    } catch (err) {
      if (!(err instanceof JoinTimeoutError)) throw err;
      logger.error({ event: 'join-timeout', seeds: err.seeds, joinTimeoutMs: err.joinTimeoutMs }, err.message);
      return shutdown('join timeout', EXIT_UNAVAILABLE);
    }
    // Written whatever the log level: supervisors (the demo, tests, benchmarks) wait for this one line.
    const ready = { event: 'ready', nodeId: config.node.id, grpcAddress: quarry.grpcAddress, httpUrl: quarry.httpUrl, gossipAddress: quarry.gossipAddress };
    process.stdout.write(JSON.stringify(ready) + '\n');
  });
}
