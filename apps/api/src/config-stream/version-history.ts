/**
 * What each recent config version carried (source@generation of every compiled policy), so an ACK of a
 * version can be turned into "this proxy runs generation g of that policy". Bounded: the oldest versions
 * are forgotten first; an ACK of a forgotten version counts as carrying nothing.
 *
 * The version is a hash of the content, so a policy edited back to an earlier spec (a canary flipped 90/10 →
 * 10/90 → 90/10) compiles to a version seen before, now with a newer generation: the version carries every
 * generation it was compiled from, since the proxy runs the same content for each of them. Keeping only the
 * first set left Programmed at Pending ("0 of N have ACKed") for the newer generation for good.
 */
import { programKey, type CompiledConfig } from './compile.ts';

export class VersionHistory {
  readonly #limit: number;
  readonly #versions = new Map<string, Set<string>>();

  constructor(limit = 256) {
    this.#limit = limit;
  }

  record(compiled: CompiledConfig): void {
    const version = compiled.config.version;
    const carried = compiled.programs.filter((p) => p.outcome.kind === 'compiled').map((p) => programKey(p));
    const known = this.#versions.get(version);
    let contents: Set<string>;
    if (known === undefined) contents = new Set(carried);
    else if (carried.every((key) => known.has(key))) contents = known;
    else contents = new Set([...known, ...carried]);
    // Re-inserted so that the versions in use are the last to be forgotten.
    this.#versions.delete(version);
    this.#versions.set(version, contents);
    while (this.#versions.size > this.#limit) {
      const oldest = this.#versions.keys().next().value as string;
      this.#versions.delete(oldest);
    }
  }

  contents(version: string): ReadonlySet<string> | undefined {
    return this.#versions.get(version);
  }
}
