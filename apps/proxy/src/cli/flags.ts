/**
 * Command-line flags of `weft-proxy`. Every mistake is reported as a FlagError whose message names the
 * flag and says how to fix it; main.ts prints it and exits with code 2.
 */
import { randomBytes } from 'node:crypto';
import { isDnsLabel } from '../identity.ts';
import { parseHostPort, type HostPort } from './host-port.ts';

export interface ProxyOptions {
  service: string;
  namespace: string;
  version: string;
  app: HostPort;
  inbound: HostPort;
  outbound: HostPort;
  admin: HostPort;
  /** Absent only when a static --config-file stands in for the control plane. */
  controlPlane: URL | undefined;
  proxyId: string;
  flushIntervalMs: number;
  configPollMs: number;
  configFile: string | undefined;
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export const USAGE = `Usage: weft-proxy --service NAME --namespace NS --version V
                  --app HOST:PORT --inbound HOST:PORT --outbound HOST:PORT --admin HOST:PORT
                  --control-plane URL
                  [--proxy-id ID] [--flush-interval-ms 5000] [--config-poll-ms 2000] [--config-file PATH]

  --service NAME           service this proxy fronts (DNS label)
  --namespace NS           its namespace (DNS label)
  --version V              its version, e.g. v1
  --app HOST:PORT          the local application the inbound listener forwards to
  --inbound HOST:PORT      listener for traffic to this service (other proxies call it)
  --outbound HOST:PORT     listener the application calls other services through (HTTP_PROXY style)
  --admin HOST:PORT        /live, /ready, /metrics (Prometheus), /config
  --control-plane URL      Weft API base URL (registration, config, OTLP telemetry)
  --proxy-id ID            default NAME.NS-<random>
  --flush-interval-ms N    telemetry push period (default 5000)
  --config-poll-ms N       config poll period (default 2000)
  --config-file PATH       static ProxyConfig JSON instead of the control plane's (--control-plane then optional)

Environment: WEFT_PROXY_TOKEN, when set, is sent to the control plane as x-weft-proxy-token.`;

type FlagName =
  | 'service'
  | 'namespace'
  | 'version'
  | 'app'
  | 'inbound'
  | 'outbound'
  | 'admin'
  | 'control-plane'
  | 'proxy-id'
  | 'flush-interval-ms'
  | 'config-poll-ms'
  | 'config-file';

const FLAGS: ReadonlySet<string> = new Set<FlagName>([
  'service',
  'namespace',
  'version',
  'app',
  'inbound',
  'outbound',
  'admin',
  'control-plane',
  'proxy-id',
  'flush-interval-ms',
  'config-poll-ms',
  'config-file',
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
  if (!/^[^\s@,]{1,63}$/.test(version)) {
    throw new FlagError(`--version "${version}" must be 1-63 characters without spaces, "@" or ","`);
  }

  const proxyId = values.get('proxy-id') ?? `${service}.${namespace}-${randomSuffix()}`;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(proxyId)) {
    throw new FlagError(`--proxy-id "${proxyId}" must be 1-128 letters, digits, ".", "_" or "-"`);
  }

  const options: ProxyOptions = {
    service,
    namespace,
    version,
    app: address('app', get('app'), false),
    inbound: address('inbound', get('inbound'), true),
    outbound: address('outbound', get('outbound'), true),
    admin: address('admin', get('admin'), true),
    controlPlane: values.has('control-plane') ? controlPlaneUrl(get('control-plane')) : undefined,
    proxyId,
    flushIntervalMs: positiveInt('flush-interval-ms', values.get('flush-interval-ms'), 5000),
    configPollMs: positiveInt('config-poll-ms', values.get('config-poll-ms'), 2000),
    configFile: values.get('config-file'),
  };
  if (options.configFile === '') throw new FlagError('--config-file needs a path');
  return { help: false, options };
}

function defaultSuffix(): string {
  return randomBytes(3).toString('hex');
}

function dnsLabel(flag: FlagName, value: string): string {
  if (!isDnsLabel(value)) {
    throw new FlagError(
      `--${flag} "${value}" must be a DNS label: lower-case letters, digits and "-", at most 63`,
    );
  }
  return value;
}

function address(flag: FlagName, value: string, listener: boolean): HostPort {
  try {
    return parseHostPort(value, listener);
  } catch (err) {
    throw new FlagError(`--${flag}: ${(err as Error).message}`);
  }
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

function positiveInt(flag: FlagName, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 86_400_000) {
    throw new FlagError(`--${flag} "${value}" must be a whole number of milliseconds between 1 and 86400000`);
  }
  return Number(value);
}
