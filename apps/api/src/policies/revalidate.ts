/**
 * Re-validation: a policy is validated when it is written, but the cluster moves on — a target Service or
 * HTTPRoute is deleted, a route loses the rule a policy names, a version loses its last instance. When the
 * platform sees the cluster change, every stored policy is validated again and its `Accepted` condition
 * follows, so a policy whose target is gone stops being compiled (only Accepted policies are) and comes
 * back when the target does.
 *
 * What may flip Accepted, and what may not (docs/routing.md, "Re-validation"):
 * - only findings about the target's existence (WEFT1001, WEFT1002, WEFT1003) take Accepted back
 *   (False, reason TargetNotFound), and only once they have lasted `targetGraceMs` (a universal-mode
 *   Service exists while it has registrations, so a single instance restarting must not drop its policies);
 * - every other finding is reported as a warning in the Accepted message and the findings, never as a
 *   refusal: a TrafficSplit whose version has no instances for a moment (WEFT2002 during a rolling restart)
 *   keeps its split, and conflicts between stored policies are left to the compiler (oldest wins);
 * - only policies Accepted=True, or False with reason TargetNotFound, for their current generation are
 *   re-validated; one refused for its content (reason Invalid) stays refused until it is changed.
 *
 * No write storm: runs are debounced, and a policy is written only when its outcome changes — Accepted's
 * status or reason, or the set of findings (code and path; not the wording, which names running versions).
 */
import type { Condition, Finding, PolicyResource } from '@weft/schema';
import { acceptedCondition, isTargetFinding, TARGET_NOT_FOUND } from './conditions.ts';
import { DebouncedTask } from './debounced-task.ts';
import { PolicyNotFoundError, type PolicyRef, type StoredPolicy } from './platform.ts';

export interface RevalidationStore {
  /**
   * The stored policies, and validate() against one view of the cluster taken now; null when the view is
   * not complete (a cache still listing or failing), so nothing must be judged from it.
   */
  snapshot(): Promise<{
    policies: StoredPolicy[];
    validate: (resource: PolicyResource) => Finding[];
  } | null>;
  /** Writes Accepted and the findings if the policy is still at `generation` (otherwise writes nothing). */
  writeAccepted(ref: PolicyRef, generation: number, accepted: Condition, findings: Finding[]): Promise<void>;
}

export interface RevalidatorOptions {
  log: (line: string) => void;
  now?: () => number;
  /** Quiet time after a cluster change before policies are validated again. */
  debounceMs?: number;
  /** Longest a run waits while changes keep coming. */
  maxDelayMs?: number;
  /** How long a target must stay missing before Accepted is taken back. */
  targetGraceMs?: number;
}

export interface Revalidation {
  accepted: Condition;
  findings: Finding[];
}

/** Whether re-validation may change this policy's Accepted condition (see the file comment). */
export function isRevalidated(policy: Pick<StoredPolicy, 'resource' | 'conditions'>): boolean {
  const accepted = policy.conditions.find((c) => c.type === 'Accepted');
  return (
    accepted !== undefined &&
    accepted.observedGeneration === (policy.resource.metadata.generation ?? 0) &&
    (accepted.status === 'True' || accepted.reason === TARGET_NOT_FOUND)
  );
}

/**
 * What re-validation makes of fresh validate() findings: null when the outcome is the one the policy has,
 * otherwise the Accepted condition and findings to store. Findings other than a missing target are
 * warnings here.
 */
export function revalidated(policy: StoredPolicy, found: readonly Finding[], now: Date): Revalidation | null {
  const findings = found.map((f) =>
    f.severity === 'error' && !isTargetFinding(f) ? { ...f, severity: 'warning' as const } : f,
  );
  const accepted = acceptedCondition(findings, policy.resource.metadata.generation ?? 0, now);
  const current = policy.conditions.find((c) => c.type === 'Accepted');
  if (
    current?.status === accepted.status &&
    current.reason === accepted.reason &&
    findingSet(policy.findings) === findingSet(findings)
  ) {
    return null;
  }
  return { accepted, findings };
}

function findingSet(findings: readonly Finding[]): string {
  return findings
    .map((f) => `${f.code} ${f.path}`)
    .sort()
    .join('\n');
}

function refOf(policy: StoredPolicy): PolicyRef {
  const { kind, metadata } = policy.resource;
  return { kind, namespace: metadata.namespace, name: metadata.name };
}

export class Revalidator {
  readonly #store: RevalidationStore;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #graceMs: number;
  readonly #task: DebouncedTask;
  /** When each policy generation's target was first seen missing. */
  readonly #missingSince = new Map<string, number>();
  #graceTimer: NodeJS.Timeout | undefined;
  /** The pass under way: passes run one at a time. */
  #tail: Promise<unknown> = Promise.resolve();
  #failing = false;
  #closed = false;

  constructor(store: RevalidationStore, options: RevalidatorOptions) {
    this.#store = store;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#graceMs = options.targetGraceMs ?? 0;
    this.#task = new DebouncedTask(() => this.run().then(() => undefined), {
      debounceMs: options.debounceMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      now: this.#now,
      onError: (err) => {
        if (!this.#failing) {
          this.#log(
            `weft-api: re-validating policies failed, retrying on the next cluster change: ${(err as Error).message ?? String(err)}`,
          );
        }
        this.#failing = true;
      },
    });
  }

  /** After a cluster change: a run soon (debounced). */
  schedule(): void {
    this.#task.schedule();
  }

  /** One pass now (after the one under way); resolves with the number of policies written. */
  run(): Promise<number> {
    const pass = this.#tail.then(() => this.#pass());
    this.#tail = pass.catch(() => undefined);
    return pass;
  }

  async #pass(): Promise<number> {
    const snapshot = await this.#store.snapshot();
    if (!snapshot) return 0;
    const now = this.#now();
    const seen = new Set<string>();
    let graceEnds: number | undefined;
    let written = 0;
    let failure: Error | undefined;
    for (const policy of snapshot.policies) {
      if (!isRevalidated(policy)) continue;
      const ref = refOf(policy);
      const generation = policy.resource.metadata.generation ?? 0;
      const key = `${ref.kind} ${ref.namespace}/${ref.name}@${generation}`;
      seen.add(key);
      const found = snapshot.validate(policy.resource);
      const accepted = policy.conditions.find((c) => c.type === 'Accepted');
      if (found.some(isTargetFinding)) {
        const since = this.#missingSince.get(key) ?? now;
        this.#missingSince.set(key, since);
        if (accepted?.status === 'True' && now - since < this.#graceMs) {
          graceEnds = Math.min(graceEnds ?? Infinity, since + this.#graceMs);
          continue;
        }
      } else {
        this.#missingSince.delete(key);
      }
      const next = revalidated(policy, found, new Date(now));
      if (!next) continue;
      try {
        await this.#store.writeAccepted(ref, generation, next.accepted, next.findings);
        written++;
        if (next.accepted.status !== accepted?.status) {
          this.#log(
            next.accepted.status === 'True'
              ? `weft-api: ${key.replace(/@\d+$/, '')} is accepted again: its target is back`
              : `weft-api: ${key.replace(/@\d+$/, '')} is no longer accepted: ${next.accepted.message}`,
          );
        }
      } catch (err) {
        // Deleted meanwhile: nothing to re-validate.
        if (!(err instanceof PolicyNotFoundError)) {
          failure ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    }
    for (const key of this.#missingSince.keys()) if (!seen.has(key)) this.#missingSince.delete(key);
    clearTimeout(this.#graceTimer);
    if (graceEnds !== undefined && !this.#closed) {
      this.#graceTimer = setTimeout(() => this.schedule(), Math.max(0, graceEnds - now)).unref();
    }
    if (failure !== undefined) throw failure;
    if (this.#failing) this.#log('weft-api: re-validating policies works again');
    this.#failing = false;
    return written;
  }

  /** Resolves when the run under way, if any, has ended. */
  idle(): Promise<void> {
    return this.#task.idle();
  }

  close(): void {
    this.#closed = true;
    this.#task.close();
    clearTimeout(this.#graceTimer);
  }
}
