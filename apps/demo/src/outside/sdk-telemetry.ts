/**
 * The official OpenTelemetry SDK for Node, set up the way a service outside the mesh would: a tracer provider
 * with a batch span processor and a meter provider with a periodic reader, exporting OTLP/HTTP protobuf with
 * gzip, in the default (cumulative) temporality. Where to (OTEL_EXPORTER_OTLP_ENDPOINT) and the ingest token
 * (OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20weft_…") come from the standard environment variables,
 * as the README tells users to set them; the launcher sets them for the demo.
 *
 * Nothing is registered globally: the service uses the returned tracer and meter (and the W3C propagator)
 * directly, so tests can build as many of these as they like in one process.
 */
import { diag, DiagConsoleLogger, DiagLogLevel, type Meter, type Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_NAMESPACE,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';

/** Low enough for the console to show new data within seconds, high enough to cost next to nothing. */
export const EXPORT_INTERVAL_MS = 5000;
/** The instrumentation scope of the service's own spans and metrics (shown in the span details). */
export const INSTRUMENTATION_SCOPE = { name: 'weft-demo-recommendations', version: '1.0.0' } as const;

export interface ServiceIdentity {
  namespace: string;
  service: string;
  version: string;
}

export interface SdkTelemetry {
  tracer: Tracer;
  meter: Meter;
  /** Exports whatever is pending (spans and metrics). */
  forceFlush(): Promise<void>;
  /** Flushes and stops both providers. */
  shutdown(): Promise<void>;
}

export interface SdkTelemetryOptions {
  identity: ServiceIdentity;
  instanceId: string;
  spanProcessor: SpanProcessor;
  metricReader: IMetricReader;
}

export function startSdkTelemetry(o: SdkTelemetryOptions): SdkTelemetry {
  // What NodeSDK sends: the SDK's default resource (telemetry.sdk.*) merged with the service's own.
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: o.identity.service,
      [ATTR_SERVICE_NAMESPACE]: o.identity.namespace,
      [ATTR_SERVICE_VERSION]: o.identity.version,
      [ATTR_SERVICE_INSTANCE_ID]: o.instanceId,
    }),
  );
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [o.spanProcessor] });
  const meterProvider = new MeterProvider({ resource, readers: [o.metricReader] });
  return {
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version),
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version),
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/** CompressionAlgorithm.GZIP of @opentelemetry/otlp-exporter-base (not a dependency of ours). */
const GZIP = 'gzip' as NonNullable<
  NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>['compression']
>;

/**
 * The OTLP/HTTP protobuf exporters (gzip) and their batching, as a production service runs them. URL and headers
 * from the OTEL_EXPORTER_OTLP_* environment. Export problems are logged (warnings) rather than thrown: the
 * service keeps answering when the API is away.
 */
export function otlpPipeline(exportIntervalMs = EXPORT_INTERVAL_MS): {
  spanProcessor: SpanProcessor;
  metricReader: IMetricReader;
  exporters: { spans: SpanExporter; metrics: PushMetricExporter };
} {
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  const spans = new OTLPTraceExporter({ compression: GZIP });
  const metrics = new OTLPMetricExporter({ compression: GZIP });
  return {
    spanProcessor: new BatchSpanProcessor(spans, { scheduledDelayMillis: exportIntervalMs }),
    metricReader: new PeriodicExportingMetricReader({
      exporter: metrics,
      exportIntervalMillis: exportIntervalMs,
    }),
    exporters: { spans, metrics },
  };
}

/** Why the OTLP environment cannot work, or null when it can (checked before starting). */
export function otlpEnvironmentProblem(env: NodeJS.ProcessEnv): string | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!endpoint) return 'OTEL_EXPORTER_OTLP_ENDPOINT is not set (the Weft API, e.g. http://127.0.0.1:4000)';
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return `OTEL_EXPORTER_OTLP_ENDPOINT "${endpoint}" is not an http(s) URL`;
  }
  if (!/authorization=bearer/i.test(env.OTEL_EXPORTER_OTLP_HEADERS ?? ''))
    return 'OTEL_EXPORTER_OTLP_HEADERS has no "Authorization=Bearer%20<ingest token>"';
  return null;
}
