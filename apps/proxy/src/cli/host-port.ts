/** `HOST:PORT` addresses as given on the command line and as printed back. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses "host:port", "[v6]:port". `allowPortZero` lets listeners ask the OS for a free port.
 * Throws an Error whose message says what is wrong.
 */
export function parseHostPort(value: string, allowPortZero = false): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`"${value}" is not HOST:PORT (e.g. 127.0.0.1:15001)`);
  const host = (match[1] ?? match[2]) as string;
  const port = Number(match[3]);
  const min = allowPortZero ? 0 : 1;
  if (port < min || port > 65535) {
    throw new Error(`"${value}": port must be between ${min} and 65535`);
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
