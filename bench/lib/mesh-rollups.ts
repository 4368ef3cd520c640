/**
 * The rollup rows a generated mesh (mesh-model.ts) would have left in TelemetrySeries and SeriesRollup after
 * `days` of traffic: every resolution of ROLLUP_RESOLUTIONS for as long as its default retention and the
 * generated period allow, each coarser row the exact sum of the finer ones, as the API's ingest writes them.
 *
 * Requests are a Poisson process per edge whose rate follows a daily cycle (quieter at night and at weekends);
 * the requests of one time bucket split into latency buckets as independent Poisson counts (exact for a Poisson
 * process), so no request is simulated one by one. A few edges have an hour-long incident (30% errors).
 *
 * Rows are produced in time order (minute by minute, every series), which is also primary-key order within each
 * resolution: the database appends instead of inserting all over its B-tree.
 */
import {
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  ROLLUP_RESOLUTIONS,
  type RollupResolution,
} from '@weft/schema';
import { addAt, endpointOf, gaussian, rng, type Mesh, type MeshEdge } from './mesh-model.ts';

/** Columns of one SeriesRollup row in ROLLUP_COLUMNS order. */
export const ROLLUP_COLUMNS = [
  'resolutionMs',
  'bucketMs',
  'seriesId',
  'count',
  'failed',
  'rateLimited',
  'unavailable',
  'sumMs',
  'maxMs',
  'firstMs',
  'lastMs',
  ...Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => `b${i}`),
] as const;
export const ROW_WIDTH = ROLLUP_COLUMNS.length;
const C = {
  res: 0,
  bucket: 1,
  series: 2,
  count: 3,
  failed: 4,
  rl: 5,
  unav: 6,
  sum: 7,
  max: 8,
  first: 9,
  last: 10,
  b0: 11,
};

export interface SeriesRow {
  id: number;
  reporter: 'inbound' | 'outbound';
  sourceNamespace: string;
  sourceService: string;
  sourceVersion: string;
  destNamespace: string;
  destService: string;
  destVersion: string;
}

export interface RollupSink {
  addSeries(rows: readonly SeriesRow[]): Promise<void>;
  /** One row, buffered (`row` is reused by the caller after the call returns). */
  addRollup(row: Float64Array): void;
  /** Called after every generated minute: writes what is buffered when there is enough of it. */
  drain(): Promise<void>;
}

export interface GenerateOptions {
  /** Days of traffic before `nowMs`. */
  days: number;
  /** The generated data goes this far beyond nowMs, so that a cached database still has "the last 5 minutes". */
  validForMs: number;
  nowMs: number;
  seed: number;
  onProgress?: (doneShare: number, rows: number) => void;
}

export interface GenerateSummary {
  series: number;
  rows: number;
  rowsByResolution: Record<string, number>;
  requests: number;
  fromMs: number;
  toMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One edge × source version × destination version: what the two series (outbound, inbound) both count. */
interface Group {
  edge: MeshEdge;
  share: number;
  seriesIds: number[];
  incidentFromMs: number;
}

function groupsOf(
  mesh: Mesh,
  fromMs: number,
  days: number,
  random: () => number,
): { groups: Group[]; series: SeriesRow[] } {
  const groups: Group[] = [];
  const series: SeriesRow[] = [];
  let nextId = 1;
  mesh.edges.forEach((edge, e) => {
    const sourceVersions =
      edge.source < 0 ? [{ name: 'unknown', share: 1 }] : (mesh.services[edge.source]?.versions ?? []);
    const destVersions = mesh.services[edge.dest]?.versions ?? [];
    // About one edge in 60 has an incident of one hour somewhere in the period.
    const incidentFromMs = e % 61 === 7 ? fromMs + Math.floor(random() * days * 24) * HOUR : -1;
    for (const sv of sourceVersions) {
      for (const dv of destVersions) {
        const src = endpointOf(mesh, edge.source, sv.name);
        const dst = endpointOf(mesh, edge.dest, dv.name);
        const ids: number[] = [];
        const reporters: ('outbound' | 'inbound')[] = edge.source < 0 ? ['inbound'] : ['outbound', 'inbound'];
        for (const reporter of reporters) {
          const id = nextId++;
          ids.push(id);
          series.push({
            id,
            reporter,
            sourceNamespace: src.namespace,
            sourceService: src.service,
            sourceVersion: src.version,
            destNamespace: dst.namespace,
            destService: dst.service,
            destVersion: dst.version,
          });
        }
        groups.push({ edge, share: sv.share * dv.share, seriesIds: ids, incidentFromMs });
      }
    }
  });
  return { groups, series };
}

/** Traffic relative to the daily mean: a peak mid-afternoon (UTC), a trough at night, quieter weekends. */
function dailyCycle(tMs: number): number {
  const hour = (tMs % DAY) / HOUR;
  const weekday = new Date(tMs).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 0.7 : 1.08;
  return weekend * (1 + 0.55 * Math.sin((2 * Math.PI * (hour - 9)) / 24));
}

class Draw {
  constructor(private readonly random: () => number) {}

  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.random();
      while (p > limit) {
        k++;
        p *= this.random();
      }
      return k;
    }
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(this.random)));
  }

  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const mean = n * p;
    if (mean < 30) return Math.min(n, this.poisson(mean));
    const sd = Math.sqrt(mean * (1 - p));
    return Math.min(n, Math.max(0, Math.round(mean + sd * gaussian(this.random))));
  }

  /** A latency bucket index for one request. */
  bucket(cdf: Float64Array): number {
    const x = this.random();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) >= x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

const BUCKET_LOWER = [0, ...LATENCY_BOUNDS_MS];
const BUCKET_UPPER = [...LATENCY_BOUNDS_MS, 60_000];

/**
 * Fills `row` (from column `count` on) with one time bucket of an edge that gets `mean` requests on average.
 * Returns the request count (0: nothing happened, the row is not written).
 */
function drawBucket(
  row: Float64Array,
  d: Draw,
  edge: MeshEdge,
  mean: number,
  errorRatio: number,
  random: () => number,
): number {
  row.fill(0, C.count);
  const cdf = edge.bucketCdf;
  if (mean < 20) {
    const n = d.poisson(mean);
    for (let i = 0; i < n; i++) addAt(row, C.b0 + d.bucket(cdf), 1);
  } else {
    let previous = 0;
    for (let k = 0; k < LATENCY_BUCKET_COUNT; k++) {
      const p = (cdf[k] as number) - previous;
      previous = cdf[k] as number;
      if (p > 1e-9) row[C.b0 + k] = d.poisson(mean * p);
    }
  }
  let count = 0;
  let sum = 0;
  let top = -1;
  for (let k = 0; k < LATENCY_BUCKET_COUNT; k++) {
    const n = row[C.b0 + k] as number;
    if (n === 0) continue;
    count += n;
    sum += n * (edge.bucketMeanMs[k] as number);
    top = k;
  }
  if (count === 0) return 0;
  const failed = d.binomial(count, errorRatio);
  row[C.count] = count;
  row[C.failed] = failed;
  row[C.unav] = d.binomial(failed, 0.6);
  row[C.rl] = d.binomial(count - failed, edge.rateLimitedRatio);
  row[C.sum] = Math.round(sum * (0.9 + 0.2 * random()) * 1000) / 1000;
  const lower = BUCKET_LOWER[top] as number;
  const upper = BUCKET_UPPER[top] as number;
  row[C.max] = Math.round((lower + (upper - lower) * random()) * 1000) / 1000;
  return count;
}

const MEASURES = [C.count, C.failed, C.rl, C.unav, C.sum];

/** Adds a row's measures into an accumulator at `offset` of `acc` (same layout). */
function addInto(acc: Float64Array, offset: number, row: Float64Array): void {
  if (acc[offset + C.count] === 0) {
    acc[offset + C.first] = row[C.first] as number;
    acc[offset + C.max] = 0;
  }
  for (const c of MEASURES) addAt(acc, offset + c, row[c] as number);
  if ((row[C.max] as number) > (acc[offset + C.max] as number)) acc[offset + C.max] = row[C.max] as number;
  acc[offset + C.last] = row[C.last] as number;
  for (let k = 0; k < LATENCY_BUCKET_COUNT; k++) addAt(acc, offset + C.b0 + k, row[C.b0 + k] as number);
}

export async function generateRollups(
  mesh: Mesh,
  sink: RollupSink,
  o: GenerateOptions,
): Promise<GenerateSummary> {
  const random = rng(o.seed ^ 0x5eed);
  const d = new Draw(random);
  const [r10s, r1m, ...coarse] = ROLLUP_RESOLUTIONS;
  if (!r10s || !r1m) throw new Error('ROLLUP_RESOLUTIONS must start with the 10 s and 1 min resolutions');
  const fromMs = Math.floor((o.nowMs - o.days * DAY) / HOUR) * HOUR;
  const toMs = Math.ceil((o.nowMs + o.validForMs) / MINUTE) * MINUTE;
  // A row older than its resolution's retention would already have been deleted by the API.
  const keptFrom = (r: RollupResolution) => o.nowMs - r.defaultRetentionMs;
  const { groups, series } = groupsOf(mesh, fromMs, o.days, random);
  await sink.addSeries(series);

  const summary: GenerateSummary = {
    series: series.length,
    rows: 0,
    rowsByResolution: Object.fromEntries(ROLLUP_RESOLUTIONS.map((r) => [r.name, 0])),
    requests: 0,
    fromMs,
    toMs,
  };
  const row = new Float64Array(ROW_WIDTH);
  const minuteRow = new Float64Array(ROW_WIDTH);
  const fineRow = new Float64Array(ROW_WIDTH);
  const acc = coarse.map(() => new Float64Array(groups.length * ROW_WIDTH));
  const accStart = coarse.map(() => -1);

  const emit = (
    source: Float64Array,
    offset: number,
    r: RollupResolution,
    bucketMs: number,
    ids: number[],
  ) => {
    if (bucketMs + r.ms <= keptFrom(r)) return;
    for (const id of ids) {
      row.set(source.subarray(offset, offset + ROW_WIDTH));
      row[C.res] = r.ms;
      row[C.bucket] = bucketMs;
      row[C.series] = id;
      sink.addRollup(row);
      summary.rows++;
      summary.rowsByResolution[r.name] = (summary.rowsByResolution[r.name] ?? 0) + 1;
    }
  };
  const flushCoarse = (level: number) => {
    const r = coarse[level] as RollupResolution;
    const a = acc[level] as Float64Array;
    const bucketMs = accStart[level] as number;
    for (let g = 0; g < groups.length; g++) {
      const offset = g * ROW_WIDTH;
      if ((a[offset + C.count] as number) > 0) emit(a, offset, r, bucketMs, (groups[g] as Group).seriesIds);
    }
    a.fill(0);
  };

  const fineFrom = keptFrom(r10s);
  const totalMinutes = (toMs - fromMs) / MINUTE;
  let lastProgress = 0;
  for (let minute = 0; minute < totalMinutes; minute++) {
    const t = fromMs + minute * MINUTE;
    for (let level = 0; level < coarse.length; level++) {
      const r = coarse[level] as RollupResolution;
      const bucketMs = Math.floor(t / r.ms) * r.ms;
      if (accStart[level] !== bucketMs) {
        if ((accStart[level] as number) >= 0) flushCoarse(level);
        accStart[level] = bucketMs;
      }
    }
    const cycle = dailyCycle(t);
    const fine = t + MINUTE > fineFrom;
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as Group;
      const edge = group.edge;
      const perSecond = edge.ratePerS * group.share * cycle;
      const errorRatio =
        group.incidentFromMs >= 0 && t >= group.incidentFromMs && t < group.incidentFromMs + HOUR
          ? 0.3
          : edge.errorRatio;
      let count: number;
      if (fine) {
        minuteRow.fill(0);
        count = 0;
        for (let s = 0; s < 6; s++) {
          const start = t + s * r10s.ms;
          const n = drawBucket(fineRow, d, edge, perSecond * (r10s.ms / SECOND), errorRatio, random);
          if (n === 0) continue;
          fineRow[C.first] = start;
          fineRow[C.last] = start + r10s.ms;
          emit(fineRow, 0, r10s, start, group.seriesIds);
          addInto(minuteRow, 0, fineRow);
          count += n;
        }
      } else {
        count = drawBucket(minuteRow, d, edge, perSecond * (MINUTE / SECOND), errorRatio, random);
        minuteRow[C.first] = t;
        minuteRow[C.last] = t + MINUTE;
      }
      if (count === 0) continue;
      summary.requests += count;
      emit(minuteRow, 0, r1m, t, group.seriesIds);
      for (let level = 0; level < coarse.length; level++)
        addInto(acc[level] as Float64Array, g * ROW_WIDTH, minuteRow);
    }
    await sink.drain();
    if (o.onProgress && (minute - lastProgress >= totalMinutes / 20 || minute === totalMinutes - 1)) {
      lastProgress = minute;
      o.onProgress((minute + 1) / totalMinutes, summary.rows);
    }
  }
  for (let level = 0; level < coarse.length; level++) flushCoarse(level);
  await sink.drain();
  return summary;
}
