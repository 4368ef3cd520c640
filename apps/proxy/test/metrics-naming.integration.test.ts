/**
 * The proxy's `/metrics` page as Prometheus reads it (text format 0.0.4) and as its naming conventions
 * ask: base units (`_seconds`, `_bytes`, never `_ms`), counters ending in `_total`, one HELP and one TYPE
 * line per family before its samples, histogram buckets with `le` in seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Attr,
  REQUEST_DURATION_METRIC,
  attributeString,
  exportMetricsServiceRequestSchema,
} from '@weft/schema';
import { adminGet, send, startChain, startOtlpReceiver, waitFor } from './helpers.ts';

interface Family {
  name: string;
  type: string;
  help: string;
}

/** The families and samples of an exposition, with every structural mistake found. */
function check(text: string): { families: Map<string, Family>; samples: string[]; problems: string[] } {
  const families = new Map<string, Family>();
  const samples: string[] = [];
  const problems: string[] = [];
  let help: { name: string; text: string } | undefined;
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const helpLine = /^# HELP (\S+) (.+)$/.exec(line);
    const typeLine = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (helpLine) {
      help = { name: helpLine[1]!, text: helpLine[2]! };
      continue;
    }
    if (typeLine) {
      const [, name, type] = typeLine as unknown as [string, string, string];
      if (help?.name !== name) problems.push(`${name}: TYPE without a HELP line just before it`);
      if (families.has(name)) problems.push(`${name}: declared twice`);
      current = { name, type, help: help?.text ?? '' };
      families.set(name, current);
      continue;
    }
    if (line.startsWith('#')) {
      problems.push(`unexpected comment: ${line}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (sample === null) {
      problems.push(`not a sample line: ${line}`);
      continue;
    }
    const [, name, labels = '', value] = sample as unknown as [string, string, string | undefined, string];
    samples.push(line);
    const family = current;
    const belongs =
      family !== undefined &&
      (name === family.name ||
        (family.type === 'histogram' &&
          [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name)));
    if (!belongs) problems.push(`${name}: sample outside its family's block`);
    if (!/^([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[+-]Inf|NaN)$/.test(value))
      problems.push(`${name}: bad value ${value}`);
    if (name.endsWith('_bucket')) {
      const le = /le="([^"]*)"/.exec(labels)?.[1];
      if (le === undefined || (le !== '+Inf' && !Number.isFinite(Number(le))))
        problems.push(`${name}: bad le ${le}`);
    }
  }
  return { families, samples, problems };
}

describe('/metrics naming', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let chain: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    chain = await startChain({ controlPlane: receiver.url, flushIntervalMs: 100 });
    await send(chain.web.addresses.outbound, { target: '/one', headers: { host: 'catalog' } });
    await send(chain.web.addresses.outbound, { target: '/status/503', headers: { host: 'catalog' } });
    await send(chain.web.addresses.outbound, { target: '/x', headers: { host: 'nowhere' } });
  });
  afterAll(async () => {
    await chain.stop();
    await receiver.close();
  });

  it('follows the exposition format and the naming conventions on both proxies', async () => {
    for (const proxy of [chain.web, chain.catalog]) {
      const { families, samples, problems } = check((await adminGet(proxy, '/metrics')).text);
      expect(problems).toEqual([]);
      expect(samples.length).toBeGreaterThan(0);
      const naming = [...families.values()].flatMap((f) => {
        const out: string[] = [];
        if (f.type === 'counter' && !f.name.endsWith('_total'))
          out.push(`${f.name}: a counter not ending in _total`);
        if (f.type !== 'counter' && f.name.endsWith('_total'))
          out.push(`${f.name}: a ${f.type} ending in _total`);
        if (/_(ms|milliseconds|micros|us|kb|mb)(_|$)/.test(f.name)) out.push(`${f.name}: not in a base unit`);
        if (f.type === 'histogram' && !/_(seconds|bytes)$/.test(f.name))
          out.push(`${f.name}: a histogram without its unit`);
        if (!/^[a-z][a-z0-9_]*$/.test(f.name)) out.push(`${f.name}: not snake_case`);
        if (f.help.trim() === '') out.push(`${f.name}: empty HELP`);
        return out;
      });
      expect(naming).toEqual([]);
    }
  });

  it('reports request latency in seconds', async () => {
    const text = (await adminGet(chain.web, '/metrics')).text;
    const buckets = text
      .split('\n')
      .filter(
        (l) => l.startsWith('weft_request_duration_seconds_bucket{') && l.includes('response_code="200"'),
      )
      .map((l) => /le="([^"]+)"/.exec(l)![1]!);
    expect(buckets).toContain('0.005');
    expect(buckets).toContain('1');
    expect(buckets).toContain('30');
    expect(buckets.at(-1)).toBe('+Inf');
    const sum = Number(
      /weft_request_duration_seconds_sum\{[^}]*response_code="200"[^}]*\} (\S+)/.exec(text)?.[1],
    );
    // The same observation the proxy pushed over OTLP, where the unit is ms.
    const otlpMs = await waitFor(() => {
      const points = receiver.metrics.flatMap((p) =>
        exportMetricsServiceRequestSchema
          .parse(p)
          .resourceMetrics.filter((rm) => attributeString(rm.resource.attributes, Attr.serviceName) === 'web')
          .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
          .filter((m) => m.name === REQUEST_DURATION_METRIC)
          .flatMap((m) => m.histogram?.dataPoints ?? [])
          .filter((d) => attributeString(d.attributes, Attr.httpStatus) === '200'),
      );
      return points.length > 0 && points.reduce((n, d) => n + (d.sum ?? 0), 0);
    });
    expect(sum).toBeGreaterThan(0);
    expect(sum * 1000).toBeCloseTo(otlpMs, 6);
  });
});
