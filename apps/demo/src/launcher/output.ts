/**
 * What of a child's output reaches the terminal: everything goes to <data dir>/logs/<name>.log; the terminal
 * only gets warnings and errors (stderr, or stdout lines that say so), prefixed with the process name and
 * rate limited so a noisy child cannot flood it.
 */

const NOTEWORTHY =
  /\b(warn(ing)?|error|err|fatal|panic|exception|unhandled|failed|EADDRINUSE|ECONNREFUSED)\b|⚠|⨯/i;
const LOUD_LEVELS = new Set(['warn', 'warning', 'error', 'err', 'fatal', 'critical', 'panic']);
/** {"level":"warn"} or {"level":40} (pino/bunyan numbers: 40 warn, 50 error, 60 fatal) */
const JSON_LEVEL = /"level"\s*:\s*(?:"(\w+)"|(\d+))/i;
/** level=warn (logfmt) */
const LOGFMT_LEVEL = /\blevel=(\w+)/i;
/** "2026-11-25T02:44:58.311Z info weft-proxy …", "[warn] …", "INFO: …" */
const TEXT_LEVEL =
  /^(?:\[?\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\]?\s+)?\[?(trace|debug|info|notice|warn|warning|error|err|fatal|critical)\]?:?(?=\s|$)/i;

/** The log level a line declares, if any (lower case), or null. */
export function lineLevel(line: string): string | null {
  const json = JSON_LEVEL.exec(line);
  if (json && line.trimStart().startsWith('{')) {
    if (json[1]) return json[1].toLowerCase();
    const n = Number(json[2]);
    return n >= 60 ? 'fatal' : n >= 50 ? 'error' : n >= 40 ? 'warn' : 'info';
  }
  const text = TEXT_LEVEL.exec(line.trim()) ?? LOGFMT_LEVEL.exec(line);
  return text ? text[1]!.toLowerCase() : null;
}

export function isNoteworthy(line: string, stream: 'stdout' | 'stderr'): boolean {
  if (line.trim() === '') return false;
  const level = lineLevel(line);
  if (level !== null) return LOUD_LEVELS.has(level);
  if (stream === 'stderr') return true;
  return NOTEWORTHY.test(line);
}

/** Allows `limit` lines per `windowMs`; reports how many were held back when a new window opens. */
export class LineBudget {
  private windowStart = -Infinity;
  private used = 0;
  private dropped = 0;

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 10_000,
  ) {}

  /** Returns { show, droppedBefore } for a line at time `now`. */
  take(now: number): { show: boolean; droppedBefore: number } {
    let droppedBefore = 0;
    if (now - this.windowStart >= this.windowMs) {
      droppedBefore = this.dropped;
      this.windowStart = now;
      this.used = 0;
      this.dropped = 0;
    }
    if (this.used < this.limit) {
      this.used++;
      return { show: true, droppedBefore };
    }
    this.dropped++;
    return { show: false, droppedBefore };
  }
}

/** Keeps the last N lines of a child's output for "it died, here is why" messages. */
export class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 30) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  get(): string[] {
    return [...this.lines];
  }
}

const COLORS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];

export function colorFor(name: string, enabled: boolean): (s: string) => string {
  if (!enabled) return (s) => s;
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const code = COLORS[h % COLORS.length]!;
  return (s) => `\x1b[${code}m${s}\x1b[0m`;
}

// ---------------------------------------------------------------------------------------------- banner

/** Single-quotes a word for POSIX shells. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface BannerInfo {
  /** null with --no-console. */
  consoleUrl: string | null;
  apiUrl: string;
  /** "Sign in as admin with password … (saved in …)" (see admin-password.ts). */
  signIn: string;
  username: string;
  /** The password for the curl hint, or null to refer to an environment variable instead. */
  password: string | null;
  passwordEnv: string;
  shop: string;
  logDir: string;
  pidsFile: string;
  /** --platform kubernetes: the in-process API server and its kubeconfig; null in universal mode. */
  kubernetes?: { server: string; kubeconfig: string } | null;
  readyAfter: string;
}

/** The sample policy the banner points at (the same file works in both modes). */
export const SAMPLE_POLICY = 'examples/policies/reviews-to-v2.yaml';

/** curl commands that sign in (cookie jar) and then read the graph with the session. */
export function curlHints(
  apiUrl: string,
  username: string,
  password: string | null,
  passwordEnv: string,
): { signIn: string; graph: string } {
  const body =
    password === null
      ? // double quotes so the shell expands the variable
        `"{\\"username\\":\\"${username}\\",\\"password\\":\\"$${passwordEnv}\\"}"`
      : shellQuote(JSON.stringify({ username, password }));
  const input = encodeURIComponent(JSON.stringify({ window: {} }));
  return {
    signIn: `curl -c jar -H 'content-type: application/json' -d ${body} ${apiUrl}/auth/login`,
    graph: `curl -b jar '${apiUrl}/trpc/topology.graph?input=${input}'`,
  };
}

/** What the launcher prints once everything is up. */
export function bannerLines(b: BannerInfo): string[] {
  const lines = [
    `Weft console: ${b.consoleUrl ?? 'off (--no-console)'}`,
    b.signIn,
    `Weft API:     ${b.apiUrl}`,
  ];
  if (b.consoleUrl === null) {
    const curl = curlHints(b.apiUrl, b.username, b.password, b.passwordEnv);
    lines.push(`API sign-in:  ${curl.signIn}`, `Graph:        ${curl.graph}`);
  }
  if (b.kubernetes) {
    lines.push(
      `Platform:     kubernetes (API server ${b.kubernetes.server}, in process; the launcher wrote the shop's Pods, Services and EndpointSlices)`,
      `kubectl:      KUBECONFIG=${shellQuote(b.kubernetes.kubeconfig)} kubectl get trafficsplits -A`,
      `Policies:     npx weft policy apply -f ${SAMPLE_POLICY} works the same (stored as a TrafficSplit custom resource)`,
    );
  }
  lines.push(
    `Demo shop:    ${b.shop}`,
    `Logs:         ${b.logDir}`,
    `Pids:         ${b.pidsFile}`,
    `Ready (${b.readyAfter} since launch). Press Ctrl-C to stop.`,
  );
  return lines;
}
