/**
 * Command-line flags of `weft-proxy`. Every mistake is reported as a FlagError whose message names the
 * flag and says how to fix it; main.ts prints it and exits with code 2.
 */
import { randomBytes } from 'node:crypto';
import {
  advertisedAddressProblem,
  dnsLabelSchema,
  formatHostPort,
  HostPortError,
  isDnsLabel,
  isProxyId,
  isVersionName,
  parseHostPort,
  proxyIdSchema,
  topologyLabelSchema,
  traceSamplingPercentSchema,
  traceSlowThresholdMsSchema,
  versionNameSchema,
  type HostPort,
} from '@weft/schema';

export interface ProxyOptions {
  service: string;
  namespace: string;
  version: string;
  app: HostPort;
  inbound: HostPort;
  outbound: HostPort;
  admin: HostPort;
  /** Address other proxies use for the inbound listener, when it is not the listener's own (0.0.0.0, NAT). */
  advertise: HostPort | undefined;
  /** Absent only when a static --config-file stands in for the control plane. */
  controlPlane: URL | undefined;
  proxyId: string;
  flushIntervalMs: number;
  configPollMs: number;
  configFile: string | undefined;
  /** Where the workload runs (--zone, --region; WEFT_ZONE / WEFT_REGION otherwise), for locality-aware balancing. */
  zone?: string | undefined;
  region?: string | undefined;
  /** Client connections per data listener (--max-connections); absent: derived from the open-files limit. */
  maxConnections?: number;
  /**
   * Path the proxy GETs on its application to tell whether it is ready (200–399); absent: a TCP connect
   * to --app decides (WEFT_APP_READY_PATH when the flag is not given).
   */
  appReadyPath?: string | undefined;
  /** Share of new traces sampled, 0..100 (--trace-sampling-percent; WEFT_TRACE_SAMPLING_PERCENT otherwise). */
  traceSamplingPercent?: number | undefined;
  /** Unsampled requests this slow (ms) still export spans (--trace-slow-threshold-ms; env likewise). */
  traceSlowThresholdMs?: number | undefined;
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export const USAGE = `Usage: weft-proxy --service NAME --namespace NS --version V
                  --app HOST:PORT --inbound HOST:PORT --outbound HOST:PORT --admin HOST:PORT
                  --control-plane URL
                  [--advertise HOST:PORT] [--proxy-id ID] [--flush-interval-ms 5000] [--config-poll-ms 2000] [--config-file PATH]
                  [--max-connections N] [--app-ready-path PATH]
                  [--trace-sampling-percent P] [--trace-slow-threshold-ms N]

  --service NAME           service this proxy fronts (DNS label)
  --namespace NS           its namespace (DNS label)
  --version V              its version, e.g. v1 (letters, digits, ".", "_", "-")
  --app HOST:PORT          the local application the inbound listener forwards to
  --inbound HOST:PORT      listener for traffic to this service (other proxies call it);
                           HOST:PORT is an IPv4 address, [IPv6] or a host name: 127.0.0.1:15006, [::1]:15006
  --advertise HOST:PORT    address other proxies use to reach --inbound (default: --inbound itself);
                           required when --inbound listens on every address (0.0.0.0 or [::])
  --outbound HOST:PORT     listener the application calls other services through (HTTP_PROXY style)
  --admin HOST:PORT        /live, /ready, /metrics (Prometheus), /config
  --control-plane URL      Weft API base URL (registration, config, OTLP telemetry)
  --proxy-id ID            default NAME.NS-<random>
  --flush-interval-ms N    telemetry push period (default 5000)
  --config-poll-ms N       config poll period when the API has no config stream (default 2000)
  --config-file PATH       static ProxyConfig JSON instead of the control plane's (--control-plane then optional)
  --zone ZONE              zone the workload runs in (like topology.kubernetes.io/zone); sent in registration,
                           and locality-aware balancing prefers endpoints in it (default: WEFT_ZONE)
  --region REGION          its region (like topology.kubernetes.io/region; default: WEFT_REGION)
  --max-connections N      client connections each of --inbound and --outbound holds; beyond it requests get
                           503 and the connection is closed (default: a quarter of the open-files limit
                           left after a reserve, between 64 and 16384; 4096 when the limit is unknown)
  --app-ready-path PATH    GET this path on --app every 2 s to tell whether it is ready (200-399 passes);
                           default: a TCP connect to --app. After 2 failures in a row /ready answers 503
                           and the proxy re-registers as not ready, so callers stop getting its endpoint
  --trace-sampling-percent P
                           share of new traces whose spans are exported, 0-100 (default 1, as Istio); a caller's
                           sampled flag is always honoured, and failed or slow requests are exported anyway
                           (default: WEFT_TRACE_SAMPLING_PERCENT, else 1)
  --trace-slow-threshold-ms N
                           requests at least this slow export their spans even when not sampled
                           (default: WEFT_TRACE_SLOW_THRESHOLD_MS, else 1000)

Environment: WEFT_PROXY_TOKEN, the workload token for this service, namespace and version, is sent as
  "Authorization: Bearer <token>" on every control-plane call (register, heartbeat, config, deregister,
  telemetry). It is never logged. WEFT_APP_READY_PATH stands for --app-ready-path when the flag is not given.
  WEFT_TRACE_SAMPLING_PERCENT and WEFT_TRACE_SLOW_THRESHOLD_MS stand for the two --trace-* flags.`;

type FlagName =
  | 'service'
  | 'namespace'
  | 'version'
  | 'app'
  | 'inbound'
  | 'outbound'
  | 'admin'
  | 'advertise'
  | 'control-plane'
  | 'proxy-id'
  | 'flush-interval-ms'
  | 'config-poll-ms'
  | 'config-file'
  | 'zone'
  | 'region'
  | 'max-connections'
  | 'app-ready-path'
  | 'trace-sampling-percent'
  | 'trace-slow-threshold-ms';

const FLAGS: ReadonlySet<string> = new Set<FlagName>([
  'service',
  'namespace',
  'version',
  'app',
  'inbound',
  'outbound',
  'admin',
  'advertise',
  'control-plane',
  'proxy-id',
  'flush-interval-ms',
  'config-poll-ms',
  'config-file',
  'zone',
  'region',
  'max-connections',
  'app-ready-path',
  'trace-sampling-percent',
  'trace-slow-threshold-ms',
]);

const REQUIRED: readonly FlagName[] = [
  'service',
  'namespace',
  'version',
  'app',
  'inbound',
  'outbound',
  'admin',
];

export type ParsedCommandLine = { help: true } | { help: false; options: ProxyOptions };

export function parseFlags(
  argv: readonly string[],
  randomSuffix: () => string = defaultSuffix,
): ParsedCommandLine {
  const values = new Map<FlagName, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--'))
      throw new FlagError(`unexpected argument "${arg}" (flags look like --name value)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!FLAGS.has(name)) throw new FlagError(`unknown flag --${name}`);
    const flag = name as FlagName;
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new FlagError(`--${flag} needs a value`);
      i++;
    }
    if (values.has(flag)) throw new FlagError(`--${flag} is given more than once`);
    values.set(flag, value);
  }

  const missing = REQUIRED.filter((f) => !values.has(f));
  if (!values.has('control-plane') && !values.has('config-file')) missing.push('control-plane');
  if (missing.length > 0) {
    throw new FlagError(
      `missing required flag${missing.length > 1 ? 's' : ''}: ${missing.map((f) => `--${f}`).join(', ')}`,
    );
  }
  const get = (f: FlagName): string => values.get(f) as string;

  const service = dnsLabel('service', get('service'));
  const namespace = dnsLabel('namespace', get('namespace'));
  const version = get('version');
  if (!isVersionName(version))
    throw new FlagError(`--version "${version}" ${problemOf(versionNameSchema, version)}`);

  const proxyId = values.get('proxy-id') ?? `${service}.${namespace}-${randomSuffix()}`;
  if (!isProxyId(proxyId))
    throw new FlagError(`--proxy-id "${proxyId}" ${problemOf(proxyIdSchema, proxyId)}`);

  const options: ProxyOptions = {
    service,
    namespace,
    version,
    app: address('app', get('app'), false),
    inbound: address('inbound', get('inbound'), true),
    outbound: address('outbound', get('outbound'), true),
    admin: address('admin', get('admin'), true),
    advertise: values.has('advertise') ? advertised(get('advertise')) : undefined,
    controlPlane: values.has('control-plane') ? controlPlaneUrl(get('control-plane')) : undefined,
    proxyId,
    flushIntervalMs: positiveInt('flush-interval-ms', values.get('flush-interval-ms'), 5000),
    configPollMs: positiveInt('config-poll-ms', values.get('config-poll-ms'), 2000),
    configFile: values.get('config-file'),
    ...(values.has('zone') ? { zone: topologyLabel('zone', get('zone')) } : {}),
    ...(values.has('region') ? { region: topologyLabel('region', get('region')) } : {}),
    ...(values.has('app-ready-path') ? { appReadyPath: readyPath(get('app-ready-path')) } : {}),
    ...(values.has('max-connections') ? { maxConnections: connectionCount(get('max-connections')) } : {}),
    ...(values.has('trace-sampling-percent')
      ? { traceSamplingPercent: samplingPercent(get('trace-sampling-percent')) }
      : {}),
    ...(values.has('trace-slow-threshold-ms')
      ? { traceSlowThresholdMs: slowThreshold(get('trace-slow-threshold-ms')) }
      : {}),
  };
  if (options.configFile === '') throw new FlagError('--config-file needs a path');
  if (options.advertise === undefined && options.controlPlane !== undefined) {
    const problem = advertisedAddressProblem(options.inbound);
    if (problem !== null) {
      throw new FlagError(
        `--inbound ${formatHostPort(options.inbound)}: ${problem}; say which address other proxies use with --advertise HOST:PORT`,
      );
    }
  }
  return { help: false, options };
}

/** An origin-form path (and query), as sent in the request line; undefined when fine. */
export function readyPathProblem(value: string): string | undefined {
  return /^\/[\x21-\x7e]*$/.test(value)
    ? undefined
    : `"${value}" must be a path starting with "/" without spaces, e.g. /healthz`;
}

function readyPath(value: string): string {
  const problem = readyPathProblem(value);
  if (problem !== undefined) throw new FlagError(`--app-ready-path ${problem}`);
  return value;
}

/** A zone or region: a Kubernetes label value, as the registration schema wants it. */
export function topologyLabel(flag: 'zone' | 'region', value: string): string {
  const problem = topologyLabelSchema.safeParse(value).error?.issues[0]?.message;
  if (problem !== undefined) throw new FlagError(`--${flag} "${value}" ${problem}`);
  return value;
}

function defaultSuffix(): string {
  return randomBytes(3).toString('hex');
}

function dnsLabel(flag: FlagName, value: string): string {
  if (!isDnsLabel(value)) throw new FlagError(`--${flag} "${value}" ${problemOf(dnsLabelSchema, value)}`);
  return value;
}

interface Schema {
  safeParse(value: unknown): { success: boolean; error?: { issues: readonly { message: string }[] } };
}

/** The shared schema's message for a value it refuses ("must be a DNS label: ..."). */
function problemOf(schema: Schema, value: string): string {
  return schemaProblem(schema, value) ?? 'is not valid';
}

/** Undefined when the shared schema accepts the value. */
function schemaProblem(schema: Schema, value: string): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : (result.error?.issues[0]?.message ?? 'is not valid');
}

function address(flag: FlagName, value: string, listener: boolean): HostPort {
  try {
    return parseHostPort(value, { allowPortZero: listener });
  } catch (err) {
    if (!(err instanceof HostPortError)) throw err;
    throw new FlagError(`--${flag}: ${err.message}`);
  }
}

function advertised(value: string): HostPort {
  const hp = address('advertise', value, false);
  const problem = advertisedAddressProblem(hp);
  if (problem !== null) throw new FlagError(`--advertise ${value}: ${problem}`);
  return hp;
}

function controlPlaneUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FlagError(`--control-plane "${value}" is not a URL (e.g. http://127.0.0.1:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FlagError(`--control-plane "${value}" must be an http:// or https:// URL`);
  }
  if (url.search || url.hash)
    throw new FlagError(`--control-plane "${value}" must not have a query or fragment`);
  return url;
}

/** The sampling settings, flag or environment variable: the shared schemas' rules; "" is not a number. */
export function samplingSettingProblem(
  setting: 'percent' | 'slow-threshold',
  value: string,
): string | undefined {
  const schema = setting === 'percent' ? traceSamplingPercentSchema : traceSlowThresholdMsSchema;
  return schemaProblem(schema, value.trim() === '' ? 'x' : value);
}

function samplingPercent(value: string): number {
  const problem = samplingSettingProblem('percent', value);
  if (problem !== undefined) throw new FlagError(`--trace-sampling-percent "${value}" ${problem}`);
  return Number(value);
}

function slowThreshold(value: string): number {
  const problem = samplingSettingProblem('slow-threshold', value);
  if (problem !== undefined) throw new FlagError(`--trace-slow-threshold-ms "${value}" ${problem}`);
  return Number(value);
}

function connectionCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) {
    throw new FlagError(`--max-connections "${value}" must be a whole number between 1 and 1000000`);
  }
  return Number(value);
}

function positiveInt(flag: FlagName, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 86_400_000) {
    throw new FlagError(`--${flag} "${value}" must be a whole number of milliseconds between 1 and 86400000`);
  }
  return Number(value);
}
