/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time per function and per source file,
 * so a bench run can say where the proxy's CPU goes without opening DevTools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not in JavaScript or GC: the thread waiting for I/O. */
  idleMs: number;
  functions: { name: string; selfMs: number }[];
  files: { file: string; selfMs: number }[];
}

function shortUrl(url: string, repoRoot: string): string {
  if (url === '') return '(native/V8)';
  let file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    // node_modules/<pkg>/… → the package and the file inside it
    file = file.slice(nm + '/node_modules/'.length);
  } else if (file.startsWith(repoRoot)) {
    file = path.relative(repoRoot, file);
  }
  return file;
}

export function summariseProfile(file: string, repoRoot: string, top = 20): ProfileSummary {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  const byId = new Map<number, ProfileNode>(parsed.nodes.map((n) => [n.id, n]));
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < parsed.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample; attribute it to sample i.
    const delta = parsed.timeDeltas[i] ?? 0;
    const node = byId.get(parsed.samples[i] ?? -1);
    if (!node) continue;
    totalUs += delta;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    const where = shortUrl(frame.url, repoRoot);
    const name = `${frame.functionName || '(anonymous)'} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    const bucket = frame.url ? where : frame.functionName;
    selfByFile.set(bucket, (selfByFile.get(bucket) ?? 0) + delta);
  }
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: sorted(selfByFunction).map(([name, us]) => ({ name, selfMs: us / 1000 })),
    files: sorted(selfByFile).map(([file, us]) => ({ file, selfMs: us / 1000 })),
  };
}

export function profileMarkdown(summary: ProfileSummary): string[] {
  const busy = summary.totalMs - summary.idleMs;
  const pct = (ms: number): string => `${((100 * ms) / (busy || 1)).toFixed(1)}%`;
  return [
    `Main thread: ${(summary.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (percentages are of busy time, self time only). V8 samples on a wall clock: on a busy machine the native socket writes (\`writev\`, \`writeLatin1String\`) also absorb the time the thread waited for a core after waking the peer, so read the user/kernel CPU split in the notes for what the CPU really did.`,
    '',
    '| self | function |',
    '|---:|:---|',
    ...summary.functions.map((f) => `| ${pct(f.selfMs)} | \`${f.name}\` |`),
    '',
    '| self | file / bucket |',
    '|---:|:---|',
    ...summary.files.map((f) => `| ${pct(f.selfMs)} | \`${f.file}\` |`),
  ];
}
