/**
 * HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must
 * accept. Not Date.parse: it reads asctime as local time and accepts many strings the RFC does not, and an
 * Expires it half-understands would make a response fresh that should be stale.
 */
const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** Milliseconds since the epoch, or undefined when `value` is not an HTTP-date. */
export function parseHttpDate(value: string | string[] | undefined, nowMs?: number): number | undefined {
  if (value === undefined) return undefined;
  // A field given twice is not a date (RFC 9110 §5.6.7 allows one value).
  if (Array.isArray(value)) return value.length === 1 ? parseHttpDate(value[0], nowMs) : undefined;
  const v = value.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m) return utc(Number(m[3]), m[2] as string, Number(m[1]), m[4], m[5], m[6]);
  m = RFC850.exec(v);
  if (m) {
    // Two-digit years: more than 50 years in the future means the previous century (RFC 9110 §5.6.7).
    const yy = Number(m[3]);
    const thisYear = new Date(nowMs ?? Date.now()).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2] as string, Number(m[1]), m[4], m[5], m[6]);
  }
  m = ASCTIME.exec(v);
  if (m) return utc(Number(m[6]), m[1] as string, Number((m[2] as string).trim()), m[3], m[4], m[5]);
  return undefined;
}

function utc(
  year: number,
  month: string,
  day: number,
  h: string | undefined,
  min: string | undefined,
  s: string | undefined,
): number | undefined {
  const mon = MONTHS[month];
  if (mon === undefined) return undefined;
  const hh = Number(h);
  const mm = Number(min);
  const ss = Number(s);
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, mon, day, hh, mm, ss);
  // 31 Feb and the like roll over in Date.UTC; such a date is not one.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
