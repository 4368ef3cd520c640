/**
 * One readiness check of the local application: a TCP connect to its address, or, with a readiness path
 * (--app-ready-path), a GET of it that must answer 200–399 (Kubernetes' httpGet probe rule). Resolves with
 * undefined when it passed, else a sentence saying what failed; never rejects.
 */
import http from 'node:http';
import net from 'node:net';
import { formatHostPort, type HostPort } from '@weft/schema';

export function probeApp(
  app: HostPort,
  readyPath: string | undefined,
  timeoutMs: number,
): Promise<string | undefined> {
  return readyPath === undefined ? probeConnect(app, timeoutMs) : probeHttp(app, readyPath, timeoutMs);
}

function probeConnect(app: HostPort, timeoutMs: number): Promise<string | undefined> {
  const where = formatHostPort(app);
  return new Promise((resolve) => {
    const socket = net.connect({ host: app.host, port: app.port });
    const done = (problem: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(
      () => done(`no connection to the app at ${where} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(`cannot connect to the app at ${where} (${err.code ?? err.message})`),
    );
  });
}

function probeHttp(app: HostPort, path: string, timeoutMs: number): Promise<string | undefined> {
  const where = `http://${formatHostPort(app)}${path}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (problem: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(problem);
    };
    const req = http.get(
      {
        host: app.host,
        port: app.port,
        path,
        agent: false,
        headers: { 'user-agent': 'weft-proxy readiness' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done(status >= 200 && status < 400 ? undefined : `readiness check GET ${where} answered ${status}`);
      },
    );
    const timer = setTimeout(
      () => done(`readiness check GET ${where} did not answer within ${timeoutMs} ms`),
      timeoutMs,
    );
    req.once('error', (err: NodeJS.ErrnoException) =>
      done(`readiness check GET ${where} failed (${err.code ?? err.message})`),
    );
  });
}
