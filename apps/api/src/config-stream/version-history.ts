/**
 * What each recent config version carried (source@generation of every compiled policy), so an ACK of a
 * version can be turned into "this proxy runs generation g of that policy". Bounded: the oldest versions
 * are forgotten first; an ACK of a forgotten version counts as carrying nothing.
 */
import { programKey, type CompiledConfig } from './compile.ts';

export class VersionHistory {
  readonly #limit: number;
  readonly #versions = new Map<string, ReadonlySet<string>>();

  constructor(limit = 256) {
    this.#limit = limit;
  }

  record(compiled: CompiledConfig): void {
    const version = compiled.config.version;
    const known = this.#versions.get(version);
    // Re-inserted so that the versions in use are the last to be forgotten.
    this.#versions.delete(version);
    this.#versions.set(
      version,
      known ??
        new Set(compiled.programs.filter((p) => p.outcome.kind === 'compiled').map((p) => programKey(p))),
    );
    while (this.#versions.size > this.#limit) {
      const oldest = this.#versions.keys().next().value as string;
      this.#versions.delete(oldest);
    }
  }

  contents(version: string): ReadonlySet<string> | undefined {
    return this.#versions.get(version);
  }
}
