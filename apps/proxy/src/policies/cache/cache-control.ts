/**
 * Cache-Control (RFC 9111 §5.2) parsed per the ABNF of RFC 9110: `#cache-directive`, each
 * `token [ "=" ( token / quoted-string ) ]`, names case-insensitive, several field lines one list.
 * Written here rather than taken from npm: the maintained parsers either drop quoted commas, keep only the
 * last duplicate, or bring a whole cache policy with them; this is one small loop.
 *
 * What the RFC leaves to the cache, decided here:
 * - A directive given twice counts with its first occurrence (§4.2.1 allows the first or "stale").
 * - A delta-seconds argument that is not `1*DIGIT` (quoted form accepted, §5.2) is `invalid`, which the
 *   freshness rules turn into "stale" (§4.2.1 encourages that); values beyond 2^31 become 2^31 (§1.2.2).
 * - A malformed directive (stray quote, `=` without a value) is skipped up to the next comma; the rest of
 *   the field still counts.
 */
import type { HeaderMap } from '../../http/exchange.ts';

/** `true` for a directive without argument; the unquoted argument otherwise. */
export type DirectiveValue = string | true;

/** RFC 9111 §1.2.2: larger delta-seconds are treated as this. */
export const DELTA_SECONDS_MAX = 2_147_483_648;

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

function isTchar(c: string): boolean {
  return TCHAR.test(c);
}

export class CacheControl {
  static readonly EMPTY = new CacheControl(new Map());
  readonly #directives: ReadonlyMap<string, DirectiveValue>;

  constructor(directives: ReadonlyMap<string, DirectiveValue>) {
    this.#directives = directives;
  }

  /** Every field line of Cache-Control in `headers` (any of them may be a list). */
  static fromHeaders(headers: HeaderMap): CacheControl {
    const value = headers['cache-control'];
    if (value === undefined) return CacheControl.EMPTY;
    return parseCacheControl(value);
  }

  has(name: string): boolean {
    return this.#directives.has(name);
  }

  get(name: string): DirectiveValue | undefined {
    return this.#directives.get(name);
  }

  get size(): number {
    return this.#directives.size;
  }

  /**
   * A delta-seconds directive: undefined when absent, `invalid` when its argument is missing or not
   * digits, else the seconds (capped at 2^31).
   */
  seconds(name: string): number | 'invalid' | undefined {
    const v = this.#directives.get(name);
    if (v === undefined) return undefined;
    if (v === true) return 'invalid';
    return deltaSeconds(v);
  }
}

export function deltaSeconds(v: string): number | 'invalid' {
  if (v.length === 0) return 'invalid';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return 'invalid';
  }
  // More than 10 digits is beyond 2^31 whatever they are.
  if (v.length > 10) return DELTA_SECONDS_MAX;
  return Math.min(Number(v), DELTA_SECONDS_MAX);
}

export function parseCacheControl(field: string | readonly string[]): CacheControl {
  const out = new Map<string, DirectiveValue>();
  const lines = typeof field === 'string' ? [field] : field;
  for (const line of lines) parseLine(line, out);
  return new CacheControl(out);
}

function parseLine(s: string, out: Map<string, DirectiveValue>): void {
  let i = 0;
  const n = s.length;
  const skipOws = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  /** Malformed directive: move past the next comma that is outside a quoted string. */
  const skipToComma = () => {
    let quoted = false;
    while (i < n) {
      const c = s[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        i++;
        return;
      }
      i++;
    }
  };
  while (i < n) {
    skipOws();
    if (s[i] === ',') {
      i++;
      continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    }
    const nameStart = i;
    while (i < n && isTchar(s[i] as string)) i++;
    if (i === nameStart) {
      skipToComma();
      continue;
    }
    const name = s.slice(nameStart, i).toLowerCase();
    skipOws();
    let value: DirectiveValue = true;
    if (s[i] === '=') {
      i++;
      skipOws();
      if (s[i] === '"') {
        i++;
        let v = '';
        let closed = false;
        while (i < n) {
          const c = s[i] as string;
          if (c === '\\' && i + 1 < n) {
            v += s[i + 1];
            i += 2;
          } else if (c === '"') {
            i++;
            closed = true;
            break;
          } else {
            v += c;
            i++;
          }
        }
        if (!closed) return; // unterminated quote swallows the rest of the line
        value = v;
      } else {
        const vStart = i;
        while (i < n && isTchar(s[i] as string)) i++;
        if (i === vStart) {
          skipToComma();
          continue;
        }
        value = s.slice(vStart, i);
      }
      skipOws();
    }
    if (i < n && s[i] !== ',') {
      skipToComma();
      continue;
    }
    i++; // the comma
    if (!out.has(name)) out.set(name, value);
  }
}
