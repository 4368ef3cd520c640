/**
 * Where the CLI points and who it is: the API URL (--api, WEFT_API_URL, or the local demo's), the bearer token
 * in WEFT_TOKEN, and the sessions `weft login` saved, one per API URL, in
 * $XDG_CONFIG_HOME/weft/sessions.json (or ~/.config/weft/sessions.json), readable only by the user.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.ts';
import type { Io } from './io.ts';

/** The API of the local demo (`npm start`). */
export const DEFAULT_API_URL = 'http://127.0.0.1:4000';

/** The API base URL without a trailing slash; also the key a session is saved under. */
export function normalizeApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--api "${value}" is not a URL (e.g. ${DEFAULT_API_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api "${value}" must be an http:// or https:// URL`);
  }
  if (url.search || url.hash) throw new UsageError(`--api "${value}" must not have a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function resolveApiUrl(flag: string | undefined, io: Pick<Io, 'env'>): string {
  const fromEnv = io.env.WEFT_API_URL?.trim();
  return normalizeApiUrl(flag ?? (fromEnv ? fromEnv : DEFAULT_API_URL));
}

/** WEFT_TOKEN, when set and not empty. */
export function envToken(io: Pick<Io, 'env'>): string | undefined {
  const token = io.env.WEFT_TOKEN?.trim();
  return token ? token : undefined;
}

export function configDir(io: Pick<Io, 'env' | 'homeDir'>): string {
  const xdg = io.env.XDG_CONFIG_HOME;
  // The XDG spec: a relative path is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(io.homeDir, '.config');
  return path.join(base, 'weft');
}

export interface SavedSession {
  /** "weft_session=…", as sent back in the cookie header. */
  cookie: string;
  csrfToken: string;
  username: string;
  role: string;
  expiresAtMs: number;
}

interface SessionsFile {
  version: 1;
  sessions: Record<string, SavedSession>;
}

export class SessionStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'sessions.json');
  }

  private read(): SessionsFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { version: 1, sessions: {} };
    }
    try {
      const parsed = JSON.parse(text) as Partial<SessionsFile>;
      if (parsed && typeof parsed.sessions === 'object' && parsed.sessions !== null) {
        return { version: 1, sessions: parsed.sessions };
      }
    } catch {
      // A damaged file is replaced on the next login.
    }
    return { version: 1, sessions: {} };
  }

  private write(data: SessionsFile): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  get(apiUrl: string): SavedSession | undefined {
    return this.read().sessions[apiUrl];
  }

  save(apiUrl: string, session: SavedSession): void {
    const data = this.read();
    data.sessions[apiUrl] = session;
    this.write(data);
  }

  /** True when there was one to remove. */
  remove(apiUrl: string): boolean {
    const data = this.read();
    if (!(apiUrl in data.sessions)) return false;
    delete data.sessions[apiUrl];
    this.write(data);
    return true;
  }
}
