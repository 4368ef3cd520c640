import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags, USAGE } from './flags.ts';

const REQUIRED = [
  '--service',
  'catalog',
  '--namespace',
  'shop',
  '--version',
  'v2',
  '--app',
  '127.0.0.1:8080',
  '--inbound',
  '127.0.0.1:15006',
  '--outbound',
  '127.0.0.1:15001',
  '--admin',
  '127.0.0.1:15000',
  '--control-plane',
  'http://127.0.0.1:4000',
];

function without(flag: string): string[] {
  const i = REQUIRED.indexOf(flag);
  return [...REQUIRED.slice(0, i), ...REQUIRED.slice(i + 2)];
}

function parse(argv: string[]) {
  const parsed = parseFlags(argv, () => 'abc123');
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

function errorOf(argv: string[]): string {
  try {
    parseFlags(argv, () => 'abc123');
  } catch (err) {
    expect(err).toBeInstanceOf(FlagError);
    return (err as Error).message;
  }
  throw new Error('expected a FlagError');
}

describe('parseFlags', () => {
  it('reads every flag with defaults for the optional ones', () => {
    const o = parse(REQUIRED);
    expect(o).toMatchObject({
      service: 'catalog',
      namespace: 'shop',
      version: 'v2',
      app: { host: '127.0.0.1', port: 8080, family: 'ipv4' },
      inbound: { host: '127.0.0.1', port: 15006 },
      outbound: { host: '127.0.0.1', port: 15001 },
      admin: { host: '127.0.0.1', port: 15000 },
      proxyId: 'catalog.shop-abc123',
      flushIntervalMs: 5000,
      configPollMs: 2000,
      configFile: undefined,
    });
    expect(o.controlPlane?.href).toBe('http://127.0.0.1:4000/');
  });

  it('accepts --flag=value and the optional flags', () => {
    const o = parse([
      ...REQUIRED,
      '--proxy-id=p-1',
      '--flush-interval-ms',
      '250',
      '--config-poll-ms=100',
      '--config-file',
      '/tmp/c.json',
    ]);
    expect(o).toMatchObject({
      proxyId: 'p-1',
      flushIntervalMs: 250,
      configPollMs: 100,
      configFile: '/tmp/c.json',
    });
  });

  it('makes --control-plane optional only with --config-file', () => {
    expect(errorOf(without('--control-plane'))).toBe('missing required flag: --control-plane');
    const o = parse([...without('--control-plane'), '--config-file', 'c.json']);
    expect(o.controlPlane).toBeUndefined();
  });

  it('lets listeners ask for port 0 but not the app', () => {
    expect(parse([...without('--inbound'), '--inbound', '127.0.0.1:0']).inbound.port).toBe(0);
    expect(errorOf([...without('--app'), '--app', '127.0.0.1:0'])).toBe(
      '--app: "127.0.0.1:0": port must be between 1 and 65535',
    );
  });

  it('names every missing required flag', () => {
    expect(errorOf(['--service', 'a'])).toBe(
      'missing required flags: --namespace, --version, --app, --inbound, --outbound, --admin, --control-plane',
    );
  });

  it.each([
    [['--bogus', '1'], 'unknown flag --bogus'],
    [['stray'], 'unexpected argument "stray" (flags look like --name value)'],
    [['--service'], '--service needs a value'],
    [['--service', '--namespace', 'x'], '--service needs a value'],
    [['--service', 'a', '--service', 'b'], '--service is given more than once'],
  ])('rejects %j', (argv, message) => {
    expect(errorOf(argv)).toBe(message);
  });

  it.each([
    [
      '--inbound',
      'localhost',
      '--inbound: "localhost" is not HOST:PORT (e.g. 127.0.0.1:15001, [::1]:15001 or catalog.shop:80)',
    ],
    ['--admin', '127.0.0.1:70000', '--admin: "127.0.0.1:70000": port must be between 0 and 65535'],
    ['--app', '[fe80::zz]:80', '--app: "[fe80::zz]:80": "fe80::zz" is not an IPv6 address'],
    ['--app', '300.1.1.1:80', '--app: "300.1.1.1:80": "300.1.1.1" is not an IPv4 address'],
    [
      '--service',
      'Catalog',
      '--service "Catalog" must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
    ],
    ['--namespace', 'a'.repeat(64), `--namespace "${'a'.repeat(64)}" must be at most 63 characters`],
    [
      '--version',
      'v 1',
      '--version "v 1" must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
    ],
    ['--control-plane', 'not a url', '--control-plane "not a url" is not a URL (e.g. http://127.0.0.1:4000)'],
    ['--control-plane', 'ftp://x', '--control-plane "ftp://x" must be an http:// or https:// URL'],
  ])('validates %s %s', (flag, value, message) => {
    expect(errorOf([...without(flag), flag, value])).toBe(message);
  });

  it.each([
    ['--flush-interval-ms', '0'],
    ['--flush-interval-ms', '1.5'],
    ['--config-poll-ms', 'soon'],
  ])('rejects %s %s', (flag, value) => {
    expect(errorOf([...REQUIRED, flag, value])).toMatch(
      `--${flag.slice(2)} "${value}" must be a whole number`,
    );
  });

  it('rejects a proxy id the control plane would refuse', () => {
    expect(errorOf([...REQUIRED, '--proxy-id', 'a/b'])).toBe(
      '--proxy-id "a/b" must use letters, digits, ".", "_" or "-"',
    );
  });

  it('answers --help', () => {
    expect(parseFlags(['--help'])).toEqual({ help: true });
  });

  it('takes --max-connections, and leaves it to the default when absent', () => {
    expect(parse([...REQUIRED, '--max-connections', '500']).maxConnections).toBe(500);
    expect(parse(REQUIRED).maxConnections).toBeUndefined();
    expect(errorOf([...REQUIRED, '--max-connections', '0'])).toBe(
      '--max-connections "0" must be a whole number between 1 and 1000000',
    );
  });
});

describe('addresses on the command line', () => {
  it('takes names, IPv4 and bracketed IPv6 for every address', () => {
    const o = parse([
      ...REQUIRED.slice(0, 6), // --service, --namespace, --version
      '--app',
      'localhost:8080',
      '--inbound',
      '[::1]:0',
      '--outbound',
      '[::]:15001',
      '--admin',
      '0.0.0.0:15000',
      '--control-plane',
      'http://[::1]:4000',
    ]);
    expect(o).toMatchObject({
      app: { host: 'localhost', port: 8080, family: 'dns' },
      inbound: { host: '::1', port: 0, family: 'ipv6' },
      outbound: { host: '::', port: 15001, family: 'ipv6' },
      admin: { host: '0.0.0.0', port: 15000, family: 'ipv4' },
    });
    expect(o.controlPlane?.href).toBe('http://[::1]:4000/');
  });

  it.each(['', ':80', 'host:', 'host:port', 'a b:80', '::1:80', 'http://x:80', 'x/y:80'])(
    'refuses --app %j',
    (value) => {
      expect(errorOf([...without('--app'), '--app', value])).toMatch(/^--app: "/);
    },
  );
});

describe('--help', () => {
  it('says the workload token goes in an Authorization: Bearer header', () => {
    expect(USAGE).toContain('"Authorization: Bearer <token>"');
    expect(USAGE).not.toContain('x-weft-proxy-token');
  });
});

describe('--advertise', () => {
  const anyAddress = [...without('--inbound'), '--inbound', '0.0.0.0:15006'];

  it('is required when --inbound listens on every address', () => {
    expect(errorOf(anyAddress)).toBe(
      '--inbound 0.0.0.0:15006: the unspecified address 0.0.0.0 cannot be connected to; advertise a real address; say which address other proxies use with --advertise HOST:PORT',
    );
    expect(errorOf([...without('--inbound'), '--inbound', '[::]:15006'])).toMatch(/--advertise HOST:PORT/);
  });

  it('names the address other proxies use', () => {
    expect(parse([...anyAddress, '--advertise', '10.0.0.5:15006']).advertise).toEqual({
      host: '10.0.0.5',
      port: 15006,
      family: 'ipv4',
    });
    expect(parse([...anyAddress, '--advertise', '[fd00::5]:15006']).advertise?.host).toBe('fd00::5');
    expect(parse(REQUIRED).advertise).toBeUndefined();
  });

  it('refuses addresses that cannot be a workload endpoint', () => {
    expect(errorOf([...anyAddress, '--advertise', '169.254.169.254:80'])).toBe(
      '--advertise 169.254.169.254:80: link-local addresses (169.254.0.0/16) are not workload addresses',
    );
    expect(errorOf([...anyAddress, '--advertise', 'x/y:80'])).toMatch(/^--advertise: "x\/y:80"/);
  });
});

describe('--app-ready-path', () => {
  it('is absent by default (a TCP connect checks the app) and takes an origin-form path', () => {
    expect(parse(REQUIRED).appReadyPath).toBeUndefined();
    expect(parse([...REQUIRED, '--app-ready-path', '/healthz?full=1']).appReadyPath).toBe('/healthz?full=1');
  });

  it('refuses what is not a path', () => {
    expect(errorOf([...REQUIRED, '--app-ready-path', 'healthz'])).toBe(
      '--app-ready-path "healthz" must be a path starting with "/" without spaces, e.g. /healthz',
    );
  });

  it('is described in the usage with its environment variable', () => {
    expect(USAGE).toContain('--app-ready-path PATH');
    expect(USAGE).toContain('WEFT_APP_READY_PATH');
  });
});

describe('--zone and --region', () => {
  it('are absent by default and take label values', () => {
    expect(parse(REQUIRED)).not.toHaveProperty('zone');
    const o = parse([...REQUIRED, '--zone', 'eu-west-1a', '--region=eu-west-1']);
    expect([o.zone, o.region]).toEqual(['eu-west-1a', 'eu-west-1']);
  });

  it('refuse what the registration would refuse', () => {
    expect(errorOf([...REQUIRED, '--zone', 'eu west'])).toBe(
      '--zone "eu west" must be a label value: letters, digits, "-", "_", "."',
    );
  });

  it('are described in the usage with their environment variables', () => {
    expect(USAGE).toContain('--zone ZONE');
    expect(USAGE).toContain('WEFT_ZONE');
    expect(USAGE).toContain('WEFT_REGION');
  });
});

describe('--trace-sampling-percent and --trace-slow-threshold-ms', () => {
  it('are absent by default (the environment, else 1 % and 1 s) and take a percentage and milliseconds', () => {
    expect(parse(REQUIRED)).not.toHaveProperty('traceSamplingPercent');
    const o = parse([...REQUIRED, '--trace-sampling-percent', '0.5', '--trace-slow-threshold-ms=250']);
    expect([o.traceSamplingPercent, o.traceSlowThresholdMs]).toEqual([0.5, 250]);
    expect(parse([...REQUIRED, '--trace-sampling-percent', '100']).traceSamplingPercent).toBe(100);
  });

  it('refuse what is not a percentage or a whole number of milliseconds, naming the limits', () => {
    expect(errorOf([...REQUIRED, '--trace-sampling-percent', '150'])).toBe(
      '--trace-sampling-percent "150" must be a number between 0 and 100 (a percentage, e.g. 1 or 0.5)',
    );
    expect(errorOf([...REQUIRED, '--trace-sampling-percent', 'all'])).toContain('between 0 and 100');
    expect(errorOf([...REQUIRED, '--trace-sampling-percent='])).toContain('between 0 and 100');
    expect(errorOf([...REQUIRED, '--trace-slow-threshold-ms', '0'])).toBe(
      '--trace-slow-threshold-ms "0" must be a whole number of milliseconds between 1 and 3600000',
    );
    expect(errorOf([...REQUIRED, '--trace-slow-threshold-ms', '1.5'])).toContain('whole number');
  });

  it('are described in the usage with their environment variables', () => {
    expect(USAGE).toContain('--trace-sampling-percent P');
    expect(USAGE).toContain('WEFT_TRACE_SAMPLING_PERCENT');
    expect(USAGE).toContain('WEFT_TRACE_SLOW_THRESHOLD_MS');
  });
});
