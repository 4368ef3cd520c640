import { describe, expect, it } from 'vitest';
import {
  HostPortError,
  advertisedAddressProblem,
  advertisedHostPort,
  formatHostPort,
  hostPort,
  isDnsLabel,
  isProxyId,
  isVersionName,
  parseHostPort,
} from './net.ts';

const EXAMPLE = '(e.g. 127.0.0.1:15001, [::1]:15001 or catalog.shop:80)';
const notHostName = (value: string, host: string) =>
  `"${value}": "${host}" is not a host name (letters, digits, "-" and "." only, at most 253 characters)`;

function problem(value: string, options?: { allowPortZero?: boolean }): string {
  try {
    parseHostPort(value, options);
  } catch (err) {
    expect(err).toBeInstanceOf(HostPortError);
    return (err as Error).message;
  }
  throw new Error(`"${value}" was accepted`);
}

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:15001', { host: '127.0.0.1', port: 15001, family: 'ipv4' }],
    ['0.0.0.0:1', { host: '0.0.0.0', port: 1, family: 'ipv4' }],
    ['255.255.255.255:65535', { host: '255.255.255.255', port: 65535, family: 'ipv4' }],
    ['[::1]:15001', { host: '::1', port: 15001, family: 'ipv6' }],
    ['[2001:db8::8a2e:370:7334]:443', { host: '2001:db8::8a2e:370:7334', port: 443, family: 'ipv6' }],
    ['[::ffff:10.0.0.1]:80', { host: '::ffff:10.0.0.1', port: 80, family: 'ipv6' }],
    ['catalog.shop:80', { host: 'catalog.shop', port: 80, family: 'dns' }],
    ['Catalog.Shop:80', { host: 'Catalog.Shop', port: 80, family: 'dns' }],
    ['localhost:4000', { host: 'localhost', port: 4000, family: 'dns' }],
    ['1.2.3.com:80', { host: '1.2.3.com', port: 80, family: 'dns' }],
    ['xn--bcher-kva.example:80', { host: 'xn--bcher-kva.example', port: 80, family: 'dns' }],
  ])('reads %s', (value, expected) => {
    expect(parseHostPort(value)).toEqual(expected);
  });

  it.each([
    ['256.1.1.1:80', '"256.1.1.1:80": "256.1.1.1" is not an IPv4 address'],
    ['1.2.3.999:80', '"1.2.3.999:80": "1.2.3.999" is not an IPv4 address'],
    ['01.2.3.4:80', '"01.2.3.4:80": "01.2.3.4" is not an IPv4 address'],
    ['1.2.3:80', notHostName('1.2.3:80', '1.2.3')],
    ['1.2.3.4.5:80', notHostName('1.2.3.4.5:80', '1.2.3.4.5')],
  ])('refuses the malformed IPv4 address %s', (value, message) => {
    expect(problem(value)).toBe(message);
  });

  it.each([
    ['[zz::1]:80', '"[zz::1]:80": "zz::1" is not an IPv6 address'],
    ['[1::2::3]:80', '"[1::2::3]:80": "1::2::3" is not an IPv6 address'],
    ['[12345::1]:80', '"[12345::1]:80": "12345::1" is not an IPv6 address'],
    ['[fe80::1%eth0]:80', '"[fe80::1%eth0]:80": "fe80::1%eth0" is not an IPv6 address'],
    ['[10.0.0.1]:80', '"[10.0.0.1]:80": "10.0.0.1" is not an IPv6 address'],
    ['[]:80', '"[]:80": "" is not an IPv6 address'],
    ['::1:80', `"::1:80" is not HOST:PORT ${EXAMPLE}`],
    ['[::1]', `"[::1]" is not HOST:PORT ${EXAMPLE}`],
  ])('refuses the IPv6 form %s', (value, message) => {
    expect(problem(value)).toBe(message);
  });

  it.each([
    ['x/y:80', 'x/y'],
    ['catalog_shop:80', 'catalog_shop'],
    ['-catalog.shop:80', '-catalog.shop'],
    ['catalog-.shop:80', 'catalog-.shop'],
    ['catalog..shop:80', 'catalog..shop'],
    ['catalog.shop.:80', 'catalog.shop.'],
    [' catalog.shop:80', ' catalog.shop'],
    [`${'a'.repeat(64)}.shop:80`, `${'a'.repeat(64)}.shop`],
    [`${`${'a'.repeat(63)}.`.repeat(4)}ab:80`, `${`${'a'.repeat(63)}.`.repeat(4)}ab`],
  ])('refuses the host name in %s', (value, host) => {
    expect(problem(value)).toBe(notHostName(value, host));
  });

  it('accepts a host name of exactly 253 characters', () => {
    const host = `${`${'a'.repeat(63)}.`.repeat(3)}${'b'.repeat(61)}`;
    expect(host).toHaveLength(253);
    expect(parseHostPort(`${host}:80`)).toEqual({ host, port: 80, family: 'dns' });
  });

  it.each([
    ['catalog.shop', `"catalog.shop" is not HOST:PORT ${EXAMPLE}`],
    ['catalog.shop:', `"catalog.shop:" is not HOST:PORT ${EXAMPLE}`],
    ['catalog.shop:http', `"catalog.shop:http" is not HOST:PORT ${EXAMPLE}`],
    ['catalog.shop:123456', `"catalog.shop:123456" is not HOST:PORT ${EXAMPLE}`],
    ['http://catalog.shop:80', `"http://catalog.shop:80" is not HOST:PORT ${EXAMPLE}`],
    [':80', `":80" has no host ${EXAMPLE}`],
    ['', `"" is not HOST:PORT ${EXAMPLE}`],
  ])('refuses %j', (value, message) => {
    expect(problem(value)).toBe(message);
  });

  it('takes ports 1 to 65535, and 0 only when a listener asks for any free port', () => {
    expect(problem('127.0.0.1:0')).toBe('"127.0.0.1:0": port must be between 1 and 65535');
    expect(problem('127.0.0.1:65536')).toBe('"127.0.0.1:65536": port must be between 1 and 65535');
    expect(parseHostPort('127.0.0.1:0', { allowPortZero: true })).toEqual({
      host: '127.0.0.1',
      port: 0,
      family: 'ipv4',
    });
    expect(problem('[::1]:65536', { allowPortZero: true })).toBe(
      '"[::1]:65536": port must be between 0 and 65535',
    );
    expect(parseHostPort('catalog.shop:00080').port).toBe(80);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 hosts only, so its output parses back', () => {
    for (const value of ['10.0.0.1:80', '[fe80::1]:443', 'catalog.shop:8080']) {
      expect(formatHostPort(parseHostPort(value))).toBe(value);
    }
  });
});

describe('advertisedAddressProblem', () => {
  const check = (value: string) => advertisedAddressProblem(parseHostPort(value));
  const unspecified4 = 'the unspecified address 0.0.0.0 cannot be connected to; advertise a real address';
  const unspecified6 = 'the unspecified address :: cannot be connected to; advertise a real address';
  const linkLocal4 = 'link-local addresses (169.254.0.0/16) are not workload addresses';
  const linkLocal6 = 'link-local addresses (fe80::/10) are not workload addresses';

  it.each([
    ['0.0.0.0:80', unspecified4],
    ['169.254.169.254:80', linkLocal4],
    ['169.254.0.1:80', linkLocal4],
    ['[::]:80', unspecified6],
    ['[0:0:0:0:0:0:0:0]:80', unspecified6],
    ['[fe80::1]:80', linkLocal6],
    ['[FE80::1]:80', linkLocal6],
    ['[febf::1]:80', linkLocal6],
  ])('refuses %s', (value, message) => {
    expect(check(value)).toBe(message);
  });

  it.each([
    '127.0.0.1:80',
    '10.0.0.7:8080',
    '169.255.0.1:80',
    '16.9.254.1:80',
    '[::1]:80',
    '[fec0::1]:80',
    '[2001:db8::1]:80',
    'catalog.shop:80',
    'fe80.shop:80',
    '0.shop:80',
  ])('accepts %s', (value) => {
    expect(check(value)).toBeNull();
  });
});

describe('host:port schemas', () => {
  it('report the parse problem as the issue message', () => {
    const bad = hostPort.safeParse('x/y:80');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.message)).toEqual([notHostName('x/y:80', 'x/y')]);
    expect(hostPort.safeParse('0.0.0.0:15001').success).toBe(true);
  });

  it('refuse unspecified and link-local addresses only when advertised', () => {
    const bad = advertisedHostPort.safeParse('169.254.169.254:80');
    expect(bad.error?.issues.map((i) => i.message)).toEqual([
      'link-local addresses (169.254.0.0/16) are not workload addresses',
    ]);
    expect(advertisedHostPort.safeParse('10.0.0.7:8080').success).toBe(true);
  });
});

describe('names', () => {
  it.each([
    ['catalog', true],
    ['a', true],
    ['1catalog', true],
    ['shop-v2', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['-catalog', false],
    ['catalog-', false],
    ['Catalog', false],
    ['catalog.shop', false],
    ['catalog_shop', false],
  ])('isDnsLabel(%j) is %s', (value, ok) => {
    expect(isDnsLabel(value)).toBe(ok);
  });

  it.each([
    ['v1', true],
    ['2.3.0', true],
    ['canary-b', true],
    ['V_1', true],
    ['a', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
    ['-v1', false],
    ['v1.', false],
    ['v 1', false],
    ['v1/2', false],
  ])('isVersionName(%j) is %s', (value, ok) => {
    expect(isVersionName(value)).toBe(ok);
  });

  it.each([
    ['catalog-7f9c.v1', true],
    ['A_b-c.d', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['a/b', false],
  ])('isProxyId(%j) is %s', (value, ok) => {
    expect(isProxyId(value)).toBe(ok);
  });
});

describe('IPv4-mapped IPv6 addresses', () => {
  it('are judged by the IPv4 address inside them', () => {
    for (const host of ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:a9fe:a9fe']) {
      expect(advertisedAddressProblem(parseHostPort(`[${host}]:80`)), host).toMatch(/link-local/);
    }
    expect(advertisedAddressProblem(parseHostPort('[::ffff:0.0.0.0]:80'))).toMatch(/unspecified/);
    expect(advertisedAddressProblem(parseHostPort('[::ffff:10.0.0.5]:80'))).toBeNull();
  });
});
