/**
 * Where the API's CPU went, from a V8 .cpuprofile (`node --cpu-prof`): self time by area (npm package, repo
 * file, or V8 bucket such as the garbage collector), the hottest functions by self time, and the API's own
 * functions by inclusive time (their synchronous callees included: an `await` ends a sample's stack, so
 * Prisma's and the database driver's asynchronous work shows under their own areas, not under the caller).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on CLOCK_MONOTONIC: the clock of `process.hrtime()` in every process on the machine. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of time in microseconds of `process.hrtime.bigint() / 1000n` (comparable across processes). */
export interface TimeWindow {
  label: string;
  fromUs: number;
  toUs: number;
  /** When given, only these parts of [fromUs, toUs] count (e.g. the same phase of every change). */
  spans?: readonly { fromUs: number; toUs: number }[];
}

function inWindow(window: TimeWindow, atUs: number): boolean {
  if (atUs < window.fromUs || atUs > window.toUs) return false;
  return !window.spans || window.spans.some((s) => atUs >= s.fromUs && atUs <= s.toUs);
}

export function hrtimeUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Array.isArray(v.nodes) &&
    Array.isArray(v.samples) &&
    Array.isArray(v.timeDeltas) &&
    typeof v.startTime === 'number'
  );
}

export interface ApiProfile {
  file: string;
  /** The part of the profile summarised (undefined: all of it). */
  window: TimeWindow | undefined;
  totalMs: number;
  idleMs: number;
  byArea: { name: string; ms: number }[];
  selfTop: { name: string; ms: number }[];
  inclusiveRepo: { name: string; ms: number }[];
}

function fileOf(url: string): string {
  return url.startsWith('file://') ? new URL(url).pathname : url;
}

function areaOf(frame: ProfileNode['callFrame'], repoRoot: string): string {
  if (frame.url === '')
    return frame.functionName.startsWith('(') ? frame.functionName : '(V8/native builtins)';
  const file = fileOf(frame.url);
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return (parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]) ?? file;
  }
  if (file.startsWith('node:')) return 'node: (Node.js internals)';
  if (!file.startsWith('/')) return file;
  return file.startsWith(repoRoot) ? path.relative(repoRoot, file) : file;
}

function label(frame: ProfileNode['callFrame'], repoRoot: string): string {
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
  const where = frame.url === '' ? '' : ` ${areaOf(frame, repoRoot)}${line}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

function isRepoCode(frame: ProfileNode['callFrame'], repoRoot: string): boolean {
  const file = fileOf(frame.url);
  return file.startsWith(repoRoot) && !file.includes('/node_modules/') && !file.includes('/generated/');
}

function top(map: Map<string, number>, n: number): { name: string; ms: number }[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000 }));
}

function readProfile(file: string): CpuProfile {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  return parsed;
}

/** Summarises the samples taken inside `window` (all of them without one). */
export function analyseProfile(
  file: string,
  repoRoot: string,
  window?: TimeWindow,
  n = 12,
  parsed: CpuProfile = readProfile(file),
): ApiProfile {
  const byId = new Map<number, ProfileNode>(parsed.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of parsed.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  /** Repo functions on the stack of each node (each once), memoised per node. */
  const repoStack = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const known = repoStack.get(id);
    if (known) return known;
    const node = byId.get(id);
    const above = parent.has(id) ? stackOf(parent.get(id) as number) : [];
    let list = above;
    if (node && isRepoCode(node.callFrame, repoRoot)) {
      const name = label(node.callFrame, repoRoot);
      if (!above.includes(name)) list = [...above, name];
    }
    repoStack.set(id, list);
    return list;
  };
  /** WebAssembly has no package in its URL: name it after the JavaScript that called into it. */
  const wasmArea = (id: number): string => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame && frame.url !== '' && !frame.url.startsWith('wasm://')) {
        return `WebAssembly called from ${areaOf(frame, repoRoot)}`;
      }
    }
    return 'WebAssembly';
  };
  const byArea = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let at = parsed.startTime;
  for (let i = 0; i < parsed.samples.length; i++) {
    const delta = parsed.timeDeltas[i] ?? 0;
    at += delta;
    if (window && !inWindow(window, at)) continue;
    const id = parsed.samples[i] ?? -1;
    const node = byId.get(id);
    if (!node) continue;
    totalUs += delta;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    const area = node.callFrame.url.startsWith('wasm://') ? wasmArea(id) : areaOf(node.callFrame, repoRoot);
    byArea.set(area, (byArea.get(area) ?? 0) + delta);
    const name = label(node.callFrame, repoRoot);
    self.set(name, (self.get(name) ?? 0) + delta);
    for (const fn of stackOf(id)) inclusive.set(fn, (inclusive.get(fn) ?? 0) + delta);
  }
  return {
    file,
    window,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byArea: top(byArea, n),
    selfTop: top(self, n),
    inclusiveRepo: top(inclusive, n),
  };
}

/**
 * The API's main thread profile among those in `dir` (tsx's loader thread writes one too), summarised over
 * each window; undefined when none was written.
 */
export function mainThreadProfiles(
  dir: string,
  repoRoot: string,
  windows: readonly TimeWindow[],
): { file: string; profiles: ApiProfile[] } | undefined {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(dir, f));
  } catch {
    return undefined;
  }
  const busiest = files
    .map((f) => ({ f, p: analyseProfile(f, repoRoot) }))
    .sort((a, b) => b.p.totalMs - b.p.idleMs - (a.p.totalMs - a.p.idleMs))[0];
  if (!busiest) return undefined;
  const parsed = readProfile(busiest.f);
  return {
    file: busiest.f,
    profiles: windows.map((w) => analyseProfile(busiest.f, repoRoot, w, 12, parsed)),
  };
}

/** `thread` names the profiled thread, `own` the repo code it runs (defaults: the API's main thread). */
export function profileMarkdown(
  p: ApiProfile,
  names: { thread: string; own: string } = { thread: 'Main thread', own: "The API's own functions" },
): string[] {
  const busy = p.totalMs - p.idleMs;
  const pct = (ms: number): string => `${((100 * ms) / (busy || 1)).toFixed(1)}%`;
  const rows = (list: { name: string; ms: number }[]): string[] =>
    list.map((e) => `| ${pct(e.ms)} | ${(e.ms / 1000).toFixed(1)} s | \`${e.name.replace(/\|/g, '\\|')}\` |`);
  return [
    `${names.thread} ${p.window ? `during ${p.window.label}` : 'over its whole life'}: ${(p.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (${((100 * busy) / (p.totalMs || 1)).toFixed(0)}%). Percentages are of busy time.`,
    '',
    'Self time by area (npm package, repo file, or V8 bucket):',
    '',
    '| self | time | area |',
    '|---:|---:|:---|',
    ...rows(p.byArea),
    '',
    'Hottest functions, self time:',
    '',
    '| self | time | function |',
    '|---:|---:|:---|',
    ...rows(p.selfTop),
    '',
    `${names.own}, inclusive time (synchronous callees included):`,
    '',
    '| incl. | time | function |',
    '|---:|---:|:---|',
    ...rows(p.inclusiveRepo),
  ];
}
