/**
 * The one rule for the names and addresses that cross a boundary: host:port (IPv4, [IPv6], DNS names),
 * DNS labels (service and namespace names), version names and proxy ids. The API, the proxy and the demo
 * all check with these functions, so a value one of them accepts is never refused by another.
 * Plain functions (no node: imports) so the console can use them too.
 */
import { z } from 'zod';

export const MAX_DNS_LABEL_LENGTH = 63;
export const MAX_HOSTNAME_LENGTH = 253;
export const MAX_VERSION_LENGTH = 63;
export const MAX_PROXY_ID_LENGTH = 128;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const VERSION = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const PROXY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Service and namespace names: RFC 1123 labels, as Kubernetes names them. */
export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

/** A workload version ("v1", "2.3.0", "canary-b"): letters, digits, ".", "_", "-", at most 63. */
export function isVersionName(value: string): boolean {
  return VERSION.test(value);
}

export function isProxyId(value: string): boolean {
  return PROXY_ID.test(value);
}

export interface HostPort {
  /** Host without brackets: "10.0.0.1", "::1", "catalog.shop". */
  host: string;
  port: number;
  family: 'ipv4' | 'ipv6' | 'dns';
}

export class HostPortError extends Error {}

function ipv4Ok(host: string): boolean {
  const m = IPV4.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && !/^0\d/.test(o));
}

function ipv6Ok(host: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return false;
  try {
    return new URL(`http://[${host}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function hostnameOk(host: string): boolean {
  if (host.length > MAX_HOSTNAME_LENGTH) return false;
  const labels = host.split('.');
  // A name made only of digits and dots is a malformed IPv4 address, not a host name.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => HOST_LABEL.test(l));
}

/**
 * Parses "host:port" or "[v6]:port". Throws HostPortError with a message that says what is wrong.
 * `allowPortZero` lets listeners ask the OS for a free port.
 */
export function parseHostPort(value: string, options: { allowPortZero?: boolean } = {}): HostPort {
  const example = '(e.g. 127.0.0.1:15001, [::1]:15001 or catalog.shop:80)';
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) throw new HostPortError(`"${value}" is not HOST:PORT ${example}`);
  const port = Number(match[3]);
  const min = options.allowPortZero ? 0 : 1;
  if (port < min || port > 65535)
    throw new HostPortError(`"${value}": port must be between ${min} and 65535`);
  if (match[1] !== undefined) {
    if (!ipv6Ok(match[1])) throw new HostPortError(`"${value}": "${match[1]}" is not an IPv6 address`);
    return { host: match[1], port, family: 'ipv6' };
  }
  const host = match[2] ?? '';
  if (host === '') throw new HostPortError(`"${value}" has no host ${example}`);
  if (IPV4.test(host)) {
    if (!ipv4Ok(host)) throw new HostPortError(`"${value}": "${host}" is not an IPv4 address`);
    return { host, port, family: 'ipv4' };
  }
  if (!hostnameOk(host)) {
    throw new HostPortError(
      `"${value}": "${host}" is not a host name (letters, digits, "-" and "." only, at most ${MAX_HOSTNAME_LENGTH} characters)`,
    );
  }
  return { host, port, family: 'dns' };
}

export function formatHostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Why an address may not be advertised as a workload endpoint, or null when it may: unspecified
 * (0.0.0.0, ::) and link-local addresses (169.254.0.0/16 — where cloud metadata services live — and fe80::/10)
 * are never a workload's address.
 */
export function advertisedAddressProblem(hp: HostPort): string | null {
  const h = hp.host.toLowerCase();
  if (hp.family === 'ipv4') {
    if (h === '0.0.0.0')
      return 'the unspecified address 0.0.0.0 cannot be connected to; advertise a real address';
    if (h.startsWith('169.254.')) return 'link-local addresses (169.254.0.0/16) are not workload addresses';
  }
  if (hp.family === 'ipv6') {
    const mapped = ipv4Mapped(h);
    if (mapped !== null) return advertisedAddressProblem({ host: mapped, port: hp.port, family: 'ipv4' });
    if (/^[0:]+$/.test(h))
      return 'the unspecified address :: cannot be connected to; advertise a real address';
    if (/^fe[89ab]/.test(h)) return 'link-local addresses (fe80::/10) are not workload addresses';
  }
  return null;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d, ::ffff:a9fe:a9fe), else null. */
function ipv4Mapped(host: string): string | null {
  let normalised: string;
  try {
    normalised = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(normalised);
  if (!m) return null;
  const hi = parseInt(m[1] as string, 16);
  const lo = parseInt(m[2] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function refineWith(parse: (v: string) => string | null) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = parse(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** host:port as a listener is configured. */
export const hostPort = z
  .string()
  .max(MAX_HOSTNAME_LENGTH + 8)
  .superRefine(
    refineWith((v) => {
      try {
        parseHostPort(v);
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    }),
  );

/** host:port a workload advertises (registration, config endpoints). */
export const advertisedHostPort = z
  .string()
  .max(MAX_HOSTNAME_LENGTH + 8)
  .superRefine(
    refineWith((v) => {
      try {
        return advertisedAddressProblem(parseHostPort(v));
      } catch (err) {
        return (err as Error).message;
      }
    }),
  );

export const dnsLabelSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_DNS_LABEL_LENGTH, `must be at most ${MAX_DNS_LABEL_LENGTH} characters`)
  .regex(
    DNS_LABEL,
    'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

export const versionNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_VERSION_LENGTH, `must be at most ${MAX_VERSION_LENGTH} characters`)
  .regex(VERSION, 'must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit');

export const proxyIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PROXY_ID_LENGTH, `must be at most ${MAX_PROXY_ID_LENGTH} characters`)
  .regex(PROXY_ID, 'must use letters, digits, ".", "_" or "-"');
