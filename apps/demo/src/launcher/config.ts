/**
 * Launcher flags and environment. Precedence: flag, then environment variable, then default.
 */
import path from 'node:path';

export interface LauncherConfig {
  consolePort: number;
  apiPort: number;
  portBase: number;
  dataDir: string;
  /** Load generator requests per second; 0 = no load generator. */
  rps: number;
  /** Run the mesh, API and load only: no console build, no console server (headless runs, benchmarks). */
  noConsole: boolean;
  /** Where the API reads services, endpoints and policies: its own registry, or a Kubernetes API server. */
  platform: Platform;
  /** Port of the in-process Kubernetes API server (--platform kubernetes only). */
  kubePort: number;
}

export const PLATFORMS = ['universal', 'kubernetes'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface OptionSpec {
  key: keyof LauncherConfig;
  flag: string;
  env: string;
  /**
   * 'switch': a flag without a value (`--no-console`); its variable is on when set to 1/true/yes.
   * 'platform': one of PLATFORMS.
   */
  kind: 'port' | 'path' | 'rate' | 'switch' | 'platform';
  default: string;
  help: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'consolePort',
    flag: '--console-port',
    env: 'WEFT_CONSOLE_PORT',
    kind: 'port',
    default: '3000',
    help: 'port of the web console',
  },
  {
    key: 'apiPort',
    flag: '--api-port',
    env: 'WEFT_API_PORT',
    kind: 'port',
    default: '4000',
    help: 'port of the Weft API (control plane)',
  },
  {
    key: 'portBase',
    flag: '--port-base',
    env: 'WEFT_PORT_BASE',
    kind: 'port',
    default: '15000',
    help: 'first port of the demo shop block (apps and their proxies, see below)',
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    env: 'WEFT_DATA_DIR',
    kind: 'path',
    default: '.weft',
    help: 'SQLite database and logs',
  },
  {
    key: 'rps',
    flag: '--rps',
    env: 'WEFT_DEMO_RPS',
    kind: 'rate',
    default: '15',
    help: 'load generator requests per second (0 = no load)',
  },
  {
    key: 'noConsole',
    flag: '--no-console',
    env: 'WEFT_NO_CONSOLE',
    kind: 'switch',
    default: 'off',
    help: 'mesh, API and load only: do not build or start the console (headless runs, benchmarks)',
  },
  {
    key: 'platform',
    flag: '--platform',
    env: 'WEFT_PLATFORM',
    kind: 'platform',
    default: 'universal',
    help: `${PLATFORMS.join(' or ')}: kubernetes runs an in-process Kubernetes API server for the shop`,
  },
  {
    key: 'kubePort',
    flag: '--kube-port',
    env: 'WEFT_KUBE_PORT',
    kind: 'port',
    default: '16443',
    help: 'port of the Kubernetes API server (--platform kubernetes only)',
  },
];

export function optionFor(key: keyof LauncherConfig): OptionSpec {
  return OPTIONS.find((o) => o.key === key)!;
}

/** "--console-port or WEFT_CONSOLE_PORT" */
export function howToChange(key: keyof LauncherConfig): string {
  const o = optionFor(key);
  return `${o.flag} or ${o.env}`;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export type ParseResult = { help: true } | { help: false; config: LauncherConfig };

const SWITCH_ON = new Set(['1', 'true', 'yes', 'on']);
const SWITCH_OFF = new Set(['0', 'false', 'no', 'off']);

function convert(o: OptionSpec, raw: string, source: string, cwd: string): number | string | boolean {
  switch (o.kind) {
    case 'platform': {
      const v = raw.trim().toLowerCase();
      if (!(PLATFORMS as readonly string[]).includes(v))
        throw new UsageError(`${source} must be ${PLATFORMS.join(' or ')} (got "${raw}")`);
      return v;
    }
    case 'switch': {
      const v = raw.trim().toLowerCase();
      if (SWITCH_ON.has(v)) return true;
      if (SWITCH_OFF.has(v)) return false;
      throw new UsageError(`${source} must be 1 or 0 (got "${raw}")`);
    }
    case 'port': {
      const n = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) {
        throw new UsageError(`${source} must be a port number 1-65535 (got "${raw}")`);
      }
      return n;
    }
    case 'rate': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1000) {
        throw new UsageError(`${source} must be a number of requests per second, 0-1000 (got "${raw}")`);
      }
      return n;
    }
    case 'path':
      if (raw.trim() === '') throw new UsageError(`${source} must not be empty`);
      return path.resolve(cwd, raw);
  }
}

export function parseLauncherArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): ParseResult {
  const fromFlags = new Map<OptionSpec, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('-')) throw new UsageError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const o = OPTIONS.find((x) => x.flag === name);
    if (!o) throw new UsageError(`unknown flag ${name} (see --help)`);
    let value: string | undefined;
    if (o.kind === 'switch') {
      if (eq >= 0) throw new UsageError(`${name} takes no value (got "${arg}")`);
      value = 'on';
    } else if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new UsageError(`${name} needs a value, e.g. ${name} ${o.default}`);
      }
      i++;
    }
    fromFlags.set(o, value);
  }
  const config: Record<string, number | string | boolean> = {};
  for (const o of OPTIONS) {
    const flagValue = fromFlags.get(o);
    const envValue = env[o.env];
    if (flagValue !== undefined) config[o.key] = convert(o, flagValue, o.flag, cwd);
    else if (envValue !== undefined && envValue !== '') config[o.key] = convert(o, envValue, o.env, cwd);
    else config[o.key] = convert(o, o.default, o.flag, cwd);
  }
  return { help: false, config: config as unknown as LauncherConfig };
}

export function usage(portSchemeHelp: string): string {
  const lines = [
    'Weft demo: API (SQLite), console, a demo shop behind proxies and a load generator, in one command.',
    '',
    'usage: npm start -- [flags]        (or: npx tsx apps/demo/src/launcher/main.ts [flags])',
    '',
    'flags (each also settable by environment variable):',
  ];
  const placeholder = {
    port: ' <port>',
    path: ' <dir>',
    rate: ' <n>',
    switch: '',
    platform: ' <name>',
  } as const;
  for (const o of OPTIONS) {
    const env = o.kind === 'switch' ? `${o.env}=1` : o.env;
    lines.push(
      `  ${`${o.flag}${placeholder[o.kind]}`.padEnd(24)}${env.padEnd(20)}${o.help} (default ${o.default})`,
    );
  }
  lines.push(
    `  ${'-h, --help'.padEnd(44)}this text`,
    '',
    portSchemeHelp,
    '',
    'Sign in (console and API) as admin: the password is WEFT_ADMIN_PASSWORD when set, else the one in',
    '<data dir>/admin-password (generated on the first run; the banner prints it).',
    'While it runs, <data dir>/pids.json lists the process id of every component it started.',
    'Ctrl-C stops everything it started.',
    '',
    'With --platform kubernetes the API runs in Kubernetes mode against an in-process Kubernetes API server',
    '(no controllers: the launcher writes the Namespaces, Deployments, Pods, Services and EndpointSlices of the',
    'shop itself); its kubeconfig is <data dir>/kubeconfig, for kubectl.',
  );
  return lines.join('\n');
}
