/**
 * Demo load generator.
 *   node --import tsx apps/demo/src/loadgen/main.ts --target 127.0.0.1:15001 [--rps 15] [--concurrency 16]
 *        [--count N] [--duration-ms N] [--report-every-ms 30000]
 * Runs until stopped (SIGINT/SIGTERM) unless a count or duration is given; prints a summary line every
 * report interval and warns on stderr when most requests of an interval failed.
 */
import { parseArgs } from 'node:util';
import { exitWithParent } from '../common/lifecycle.ts';
import { parseHostPort } from '../common/net.ts';
import { formatStats, runLoad } from './loadgen.ts';

const USAGE = `usage: node --import tsx apps/demo/src/loadgen/main.ts --target HOST:PORT [--rps 15] [--concurrency 16]
       [--count N] [--duration-ms N] [--timeout-ms 10000] [--report-every-ms 30000]`;

function num(
  name: string,
  v: string | undefined,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    console.error(`loadgen: --${name} must be a number between ${min} and ${max} (got "${v}")\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        target: { type: 'string' },
        rps: { type: 'string' },
        concurrency: { type: 'string' },
        count: { type: 'string' },
        'duration-ms': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'report-every-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`loadgen: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.target) {
    console.error(`loadgen: --target is required\n${USAGE}`);
    process.exit(2);
  }
  try {
    parseHostPort(values.target);
  } catch (e) {
    console.error(`loadgen: --target ${(e as Error).message}`);
    process.exit(2);
  }
  const rps = num('rps', values.rps, 15, 0.01, 10_000)!;
  const concurrency = Math.floor(num('concurrency', values.concurrency, 16, 1, 1000)!);
  const count = num('count', values.count, undefined, 1, 1e9);
  const durationMs = num('duration-ms', values['duration-ms'], undefined, 1, 1e10);
  const timeoutMs = num('timeout-ms', values['timeout-ms'], 10_000, 1, 600_000)!;
  const reportEveryMs = num('report-every-ms', values['report-every-ms'], 30_000, 100, 3_600_000)!;

  const controller = new AbortController();
  let signals = 0;
  const stop = (): void => {
    if (++signals > 1) process.exit(1);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  exitWithParent(stop);

  console.log(
    `loadgen: ${rps} rps to http://${values.target} (at most ${concurrency} in flight)` +
      (count ? `, ${count} requests` : '') +
      (durationMs ? `, for ${durationMs} ms` : ''),
  );
  const started = performance.now();
  let lastReport = started;
  const total = await runLoad({
    target: values.target,
    rps,
    concurrency,
    count,
    durationMs,
    timeoutMs,
    reportEveryMs,
    signal: controller.signal,
    onReport: (interval) => {
      const now = performance.now();
      const seconds = (now - lastReport) / 1000;
      lastReport = now;
      console.log(`loadgen: last ${seconds.toFixed(0)} s: ${formatStats(interval, seconds)}`);
      const bad = interval.serverErrors + interval.failures;
      if (interval.sent >= 5 && bad / interval.sent > 0.5) {
        console.error(
          `loadgen: warning: ${bad} of ${interval.sent} requests failed in the last ${seconds.toFixed(0)} s (e.g. ${interval.firstError})`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`loadgen: done after ${seconds.toFixed(1)} s: ${formatStats(total, seconds)}`);
  process.exit(0);
}

await main();
