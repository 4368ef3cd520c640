/**
 * `npm test`: typecheck, lint, unit, integration and end-to-end tests, in that order, then one summary.
 * Every stage runs even when an earlier one failed, so one run shows everything that is broken.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

interface StageResult {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  note?: string;
}

const root = path.resolve(import.meta.dirname, '..');
const results = path.join(root, 'test-results');
const onlyStages = process.argv.slice(2);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

const TYPECHECK_PROJECTS = [
  'packages/schema',
  'packages/test-support',
  'apps/api',
  'apps/proxy',
  'apps/demo',
  'apps/web',
  'apps/cli',
  '.',
];

async function checkStage(name: string, commands: [string, string[]][]): Promise<StageResult> {
  const started = Date.now();
  let failed = 0;
  for (const [cmd, args] of commands) {
    console.log(`\n── ${name}: ${path.basename(cmd)} ${args.join(' ')}`);
    if ((await run(cmd, args)) !== 0) failed++;
  }
  return {
    name,
    ok: failed === 0,
    passed: commands.length - failed,
    failed,
    skipped: 0,
    seconds: (Date.now() - started) / 1000,
  };
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

async function vitestStage(project: 'unit' | 'integration'): Promise<StageResult> {
  const started = Date.now();
  const out = path.join(results, `${project}.json`);
  rmSync(out, { force: true });
  console.log(`\n── ${project} tests`);
  const code = await run(bin('vitest'), [
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  const json = readJson<VitestJson>(out);
  const passed = json?.numPassedTests ?? 0;
  // A file that fails to load has no failed test but a failed suite: the exit code still marks the stage.
  const failed = json?.numFailedTests ?? 0;
  return {
    name: `${project} tests`,
    ok: code === 0 && json !== null && passed > 0,
    passed,
    failed: code !== 0 && failed === 0 ? 1 : failed,
    skipped: (json?.numPendingTests ?? 0) + (json?.numTodoTests ?? 0),
    seconds: (Date.now() - started) / 1000,
    note: json === null ? 'no report was written' : undefined,
  };
}

interface PlaywrightJson {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  errors?: { message?: string }[];
}

async function e2eStage(): Promise<StageResult> {
  const started = Date.now();
  const out = path.join(results, 'e2e.json');
  rmSync(out, { force: true });
  console.log('\n── end-to-end tests (Playwright, Chromium, against the running demo)');
  const code = await run(bin('playwright'), ['test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
  const json = readJson<PlaywrightJson>(out);
  const passed = (json?.stats.expected ?? 0) + (json?.stats.flaky ?? 0);
  const failed = json?.stats.unexpected ?? 0;
  return {
    name: 'end-to-end tests',
    ok: code === 0 && json !== null && passed > 0,
    passed,
    failed: code !== 0 && failed === 0 ? 1 : failed,
    skipped: json?.stats.skipped ?? 0,
    seconds: (Date.now() - started) / 1000,
    note: json?.errors?.[0]?.message?.split('\n')[0],
  };
}

async function main(): Promise<void> {
  mkdirSync(results, { recursive: true });
  const stages: { key: string; run: () => Promise<StageResult> }[] = [
    {
      key: 'typecheck',
      run: () =>
        checkStage(
          'typecheck',
          TYPECHECK_PROJECTS.filter((p) => existsSync(path.join(root, p, 'tsconfig.json'))).map((p) => [
            bin('tsc'),
            ['-p', p],
          ]),
        ),
    },
    {
      key: 'lint',
      run: () =>
        checkStage('lint', [
          [bin('eslint'), ['.', '--max-warnings', '0']],
          [bin('prettier'), ['--check', '--log-level', 'warn', '.']],
        ]),
    },
    { key: 'unit', run: () => vitestStage('unit') },
    { key: 'integration', run: () => vitestStage('integration') },
    { key: 'e2e', run: e2eStage },
  ];
  const summary: StageResult[] = [];
  for (const stage of stages) {
    if (onlyStages.length > 0 && !onlyStages.includes(stage.key)) continue;
    summary.push(await stage.run());
  }

  console.log('\n══ Weft test summary ══');
  for (const s of summary) {
    const mark = s.ok ? 'PASS' : 'FAIL';
    const extra = s.skipped > 0 ? `, ${s.skipped} skipped` : '';
    const note = s.note ? ` — ${s.note}` : '';
    console.log(
      `${mark}  ${s.name.padEnd(18)} ${s.passed} passed, ${s.failed} failed${extra}  (${s.seconds.toFixed(1)} s)${note}`,
    );
  }
  const passed = summary.reduce((n, s) => n + s.passed, 0);
  const failed = summary.reduce((n, s) => n + s.failed, 0);
  const skipped = summary.reduce((n, s) => n + s.skipped, 0);
  const allOk = summary.every((s) => s.ok);
  console.log(`\nweft: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exit(allOk ? 0 : 1);
}

void main();
