import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { howToChange, parseLauncherArgs, usage, UsageError } from './config.ts';

const cwd = '/tmp/somewhere';
const parse = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseLauncherArgs(argv, env, cwd);
  if (r.help) throw new Error('unexpected help');
  return r.config;
};

describe('launcher flags', () => {
  it('has the documented defaults', () => {
    expect(parse([])).toEqual({
      consolePort: 3000,
      apiPort: 4000,
      portBase: 15000,
      dataDir: path.resolve(cwd, '.weft'),
      rps: 15,
      noConsole: false,
      platform: 'universal',
      kubePort: 16443,
    });
  });

  it('reads flags in both --flag value and --flag=value forms', () => {
    const c = parse([
      '--console-port',
      '3100',
      '--api-port=4100',
      '--port-base',
      '17000',
      '--data-dir',
      'data',
      '--rps=2.5',
      '--no-console',
      '--platform',
      'kubernetes',
      '--kube-port=6443',
    ]);
    expect(c).toEqual({
      consolePort: 3100,
      apiPort: 4100,
      portBase: 17000,
      dataDir: path.resolve(cwd, 'data'),
      rps: 2.5,
      noConsole: true,
      platform: 'kubernetes',
      kubePort: 6443,
    });
  });

  it('takes the platform from --platform or WEFT_PLATFORM and refuses others', () => {
    expect(parse([], { WEFT_PLATFORM: 'kubernetes' }).platform).toBe('kubernetes');
    expect(parse(['--platform=universal'], { WEFT_PLATFORM: 'kubernetes' }).platform).toBe('universal');
    expect(() => parse(['--platform', 'nomad'])).toThrow(
      new UsageError('--platform must be universal or kubernetes (got "nomad")'),
    );
    expect(() => parse([], { WEFT_PLATFORM: 'k8s' })).toThrow(
      new UsageError('WEFT_PLATFORM must be universal or kubernetes (got "k8s")'),
    );
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      WEFT_CONSOLE_PORT: '3200',
      WEFT_API_PORT: '4200',
      WEFT_PORT_BASE: '18000',
      WEFT_DATA_DIR: '/abs/dir',
    };
    expect(parse([], env)).toMatchObject({
      consolePort: 3200,
      apiPort: 4200,
      portBase: 18000,
      dataDir: '/abs/dir',
    });
    expect(parse(['--api-port', '4300'], env).apiPort).toBe(4300);
  });

  it('treats an empty environment variable as unset', () => {
    expect(parse([], { WEFT_API_PORT: '' }).apiPort).toBe(4000);
  });

  it('accepts --rps 0 (no load generator)', () => {
    expect(parse(['--rps', '0']).rps).toBe(0);
  });

  it('turns the console off with --no-console or WEFT_NO_CONSOLE=1', () => {
    expect(parse(['--no-console']).noConsole).toBe(true);
    expect(parse(['--no-console', '--rps', '0'])).toMatchObject({ noConsole: true, rps: 0 });
    for (const on of ['1', 'true', 'yes', 'ON'])
      expect(parse([], { WEFT_NO_CONSOLE: on }).noConsole).toBe(true);
    for (const off of ['0', 'false', 'no', ''])
      expect(parse([], { WEFT_NO_CONSOLE: off }).noConsole).toBe(false);
    expect(parse(['--no-console'], { WEFT_NO_CONSOLE: '0' }).noConsole).toBe(true);
    expect(() => parse([], { WEFT_NO_CONSOLE: 'maybe' })).toThrow(
      /WEFT_NO_CONSOLE must be 1 or 0 \(got "maybe"\)/,
    );
    expect(() => parse(['--no-console=1'])).toThrow(/--no-console takes no value/);
    expect(usage('ports: …')).toMatch(/--no-console +WEFT_NO_CONSOLE=1 +.*console/);
  });

  it('answers --help and -h', () => {
    expect(parseLauncherArgs(['--help'], {}, cwd)).toEqual({ help: true });
    expect(parseLauncherArgs(['--api-port', '1', '-h'], {}, cwd)).toEqual({ help: true });
    expect(usage('ports: …')).toContain('--console-port');
    expect(usage('ports: …')).toContain('WEFT_PORT_BASE');
  });

  it.each([
    [['--api-port', 'abc'], /--api-port must be a port number 1-65535 \(got "abc"\)/],
    [['--api-port', '70000'], /--api-port must be a port/],
    [['--api-port', '0'], /--api-port must be a port/],
    [['--console-port', '30.5'], /--console-port must be a port/],
    [['--rps', '-1'], /--rps must be a number of requests per second/],
    [['--rps', 'lots'], /--rps must be/],
    [['--api-port'], /--api-port needs a value/],
    [['--api-port', '--rps', '3'], /--api-port needs a value/],
    [['--bogus', '1'], /unknown flag --bogus/],
    [['stray'], /unexpected argument "stray"/],
    [['--data-dir='], /--data-dir must not be empty/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseLauncherArgs(argv, {}, cwd)).toThrow(UsageError);
    expect(() => parseLauncherArgs(argv, {}, cwd)).toThrow(message);
  });

  it('names the environment variable when it holds a bad value', () => {
    expect(() => parseLauncherArgs([], { WEFT_PORT_BASE: 'x' }, cwd)).toThrow(
      /WEFT_PORT_BASE must be a port/,
    );
  });

  it('says how to change each setting', () => {
    expect(howToChange('consolePort')).toBe('--console-port or WEFT_CONSOLE_PORT');
    expect(howToChange('portBase')).toBe('--port-base or WEFT_PORT_BASE');
  });
});
