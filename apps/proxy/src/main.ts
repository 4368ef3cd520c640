/**
 * weft-proxy: the HTTP/1.1 sidecar. Flags are in cli/flags.ts; `--help` prints them.
 * Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 2 for bad flags or a bad --config-file,
 * 1 when a listener cannot bind or anything else stops the start.
 */
import { FlagError, parseFlags, USAGE, type ParsedCommandLine } from './cli/flags.ts';
import { readEnv } from './env.ts';
import { createLogger } from './log.ts';
import type { RunningProxy } from './proxy.ts';

async function main(argv: readonly string[]): Promise<void> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`weft-proxy: ${err.message}\nRun with --help for the list of flags.\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parsed.options;
  const log = createLogger(`weft-proxy ${options.service}.${options.namespace}`);

  // Loaded only now, so that --help and flag mistakes answer at once.
  const { startProxy } = await import('./proxy.ts');
  const { ConfigFileError } = await import('./config/config-file.ts');
  const { ListenError } = await import('./http/listen.ts');
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(options, readEnv(), log);
  } catch (err) {
    if (err instanceof ListenError || err instanceof ConfigFileError) {
      process.stderr.write(`weft-proxy: ${err.message}\n`);
      process.exit(err instanceof ConfigFileError ? 2 : 1);
    }
    throw err;
  }
  process.stdout.write(`${proxy.readyLine}\n`);

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn(`${signal} again: exiting without finishing the shutdown`);
      process.exit(1);
    }
    log.info(`${signal}: draining, flushing telemetry, deregistering`);
    proxy.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `weft-proxy: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
