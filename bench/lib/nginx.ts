/**
 * nginx as the cheap upstream (`return 200`) and as the reference reverse proxy. Each instance runs in the
 * foreground (`daemon off;`) with its own prefix directory inside the bench's temp dir: pid file, logs and
 * every temp path live there, so nothing is written elsewhere, also when run as root (the master stays root,
 * the worker drops to `nobody` as usual).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Child, Supervisor } from './children.ts';
import { waitForHttp } from './children.ts';
import { UPSTREAM_BODY } from './upstream-body.ts';

const CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/bin/nginx',
  '/usr/local/nginx/sbin/nginx',
];

/**
 * The nginx binary, or undefined when it is not installed (`apt-get install nginx` on Debian).
 * WEFT_BENCH_NGINX overrides: a path to the binary, or `none` to run as if nginx were missing.
 */
export function findNginx(): string | undefined {
  const override = process.env.WEFT_BENCH_NGINX;
  if (override === 'none') return undefined;
  if (override) return override;
  const fromPath = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, 'nginx'));
  for (const candidate of [...fromPath, ...CANDIDATES]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function nginxVersion(binary: string): string {
  // `nginx -v` prints on stderr.
  const run = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return `${run.stderr ?? ''}${run.stdout ?? ''}`.trim() || 'nginx (version unknown)';
}

function commonHead(prefix: string): string {
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/temp/client_body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
`;
}

/** A server answering every request with the fixed 100-byte body. */
export function upstreamConfig(prefix: string, port: number): string {
  return `${commonHead(prefix)}  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "${UPSTREAM_BODY}";
    }
  }
}
`;
}

/** A plain HTTP/1.1 reverse proxy with a keep-alive pool to the upstream (what a sidecar does). */
export function reverseProxyConfig(prefix: string, port: number, upstreamPort: number): string {
  return `${commonHead(prefix)}  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Starts `nginx -p <prefix> -c <prefix>/nginx.conf -g 'daemon off;'` and waits until it answers. */
export async function startNginx(
  supervisor: Supervisor,
  binary: string,
  name: string,
  prefix: string,
  config: string,
  port: number,
): Promise<Child> {
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  mkdirSync(path.join(prefix, 'temp'), { recursive: true });
  // The worker runs as `nobody` when the master is root: let it reach its temp paths.
  chmodSync(prefix, 0o755);
  chmodSync(path.join(prefix, 'temp'), 0o777);
  const confPath = path.join(prefix, 'nginx.conf');
  writeFileSync(confPath, config);
  const child = supervisor.start(name, binary, [
    '-p',
    prefix,
    '-e',
    path.join(prefix, 'logs', 'error.log'),
    '-c',
    confPath,
    '-g',
    'daemon off;',
  ]);
  await waitForHttp(`http://127.0.0.1:${port}/`, child, 10_000);
  return child;
}
