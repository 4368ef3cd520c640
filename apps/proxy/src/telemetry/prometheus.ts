/** Prometheus text exposition format 0.0.4. */
import { LATENCY_BOUNDS_MS } from '@weft/schema';
import type { RequestMetrics } from './request-metrics.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  let out = '';
  for (const [name, value] of Object.entries(labels)) {
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return out === '' ? '' : `{${out}}`;
}

/** Builds one exposition; each metric family is declared once with its HELP and TYPE. */
export class PrometheusText {
  readonly #lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
    return this;
  }

  sample(name: string, labels: Labels | undefined, value: number): this {
    this.#lines.push(`${name}${formatLabels(labels)} ${formatSampleValue(value)}`);
    return this;
  }

  toString(): string {
    return this.#lines.join('\n') + '\n';
  }
}

export const REQUESTS_TOTAL = 'weft_requests_total';
/** In seconds, Prometheus's base unit for time (OTLP keeps milliseconds: `weft.request.duration`, unit ms). */
export const REQUEST_DURATION = 'weft_request_duration_seconds';

/** Bucket bounds as `le` label values, in seconds. */
const LE_SECONDS: readonly string[] = LATENCY_BOUNDS_MS.map((ms) => formatSampleValue(ms / 1000));

/** `weft_requests_total` and the cumulative `weft_request_duration_seconds` histogram, one series per edge. */
export function renderRequestMetrics(text: PrometheusText, metrics: RequestMetrics): void {
  const all = [...metrics.series()];
  text.family(
    REQUESTS_TOTAL,
    'counter',
    'Requests handled by this proxy, per reporter, edge and response code (and grpc_status for gRPC).',
  );
  const labelsOf = all.map(({ labels: l }) => ({
    reporter: l.reporter,
    source_service: l.source.service,
    source_namespace: l.source.namespace,
    source_version: l.source.version,
    destination_service: l.destination.service,
    destination_namespace: l.destination.namespace,
    destination_version: l.destination.version,
    response_code: String(l.status),
    // Series of gRPC exchanges differ by grpc-status too (Linkerd's label): without it they would repeat.
    ...(l.grpcStatus === undefined ? {} : { grpc_status: String(l.grpcStatus) }),
  }));
  all.forEach((s, i) => text.sample(REQUESTS_TOTAL, labelsOf[i], s.total.count));

  text.family(
    REQUEST_DURATION,
    'histogram',
    'Time from request received to the last byte of the response handed to the client, in seconds.',
  );
  all.forEach((s, i) => {
    const labels = labelsOf[i] as Labels;
    let cumulative = 0;
    for (let b = 0; b < s.total.counts.length; b++) {
      cumulative += s.total.counts[b] as number;
      const le = b < LE_SECONDS.length ? (LE_SECONDS[b] as string) : '+Inf';
      text.sample(`${REQUEST_DURATION}_bucket`, { ...labels, le }, cumulative);
    }
    text.sample(`${REQUEST_DURATION}_sum`, labels, s.total.sum / 1000);
    text.sample(`${REQUEST_DURATION}_count`, labels, s.total.count);
  });
}
