/**
 * Revert: make revision N of a policy live again, on any PolicyPlatform (universal or Kubernetes), through its
 * ordinary apply and delete, so a revert is validated, checked for concurrency and recorded like any write:
 *
 * - revision N holds a spec: that spec is applied with the caller's resourceVersion (an update), or created
 *   when the policy is deleted now; labels and annotations stay as they are (history keeps specs only);
 * - revision N is a delete: the policy is deleted (nothing to do when it is already gone).
 *
 * `expectedResourceVersion` is what the caller read before deciding (null: it saw the policy deleted). If the
 * policy moved since, the revert is refused with PolicyConflictError and nothing is written: the caller chose
 * the revision looking at a state that is no longer there. The new revision records the ordinary action
 * (create / update / delete); the PolicyRevision table has no column to say "revert of N", so the answer
 * says it instead.
 */
import { POLICY_API_VERSION, type PolicyResourceInput } from '@weft/schema';
import { policyInputSchema, PolicyStorageLimits } from './limits.ts';
import {
  PolicyConflictError,
  PolicyNotFoundError,
  type PolicyPlatform,
  type PolicyRef,
  type PolicyRevision,
  type StoredPolicy,
} from './platform.ts';

export interface RevertRequest {
  ref: PolicyRef;
  /** The revision whose state becomes live again. */
  revision: number;
  /** The policy's resourceVersion when the caller read it; null when it saw the policy deleted. */
  expectedResourceVersion: string | null;
  by: string;
}

export interface RevertOutcome {
  /** What the revert did: `unchanged` when revision N's state is already live (nothing recorded). */
  action: 'create' | 'update' | 'delete' | 'unchanged';
  revertedTo: number;
  /** The policy as it is now (null when the revert deleted it or it stays deleted). */
  policy: StoredPolicy | null;
}

function describe(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/**
 * Revision `revision` of `ref`, read through history() (newest first, bounded): the newest revision says how
 * deep to read. Older revisions than the history bound cannot be reverted to.
 */
export async function findRevision(
  platform: Pick<PolicyPlatform, 'history'>,
  ref: PolicyRef,
  revision: number,
): Promise<PolicyRevision> {
  const [latest] = await platform.history(ref, 1);
  if (!latest) throw new PolicyNotFoundError(`${describe(ref)} has no history`);
  if (revision < 1 || revision > latest.revision) {
    throw new PolicyNotFoundError(
      `${describe(ref)} has no revision ${revision} (its revisions are 1 to ${latest.revision})`,
    );
  }
  const depth = latest.revision - revision + 1;
  if (depth > PolicyStorageLimits.maxHistory) {
    throw new PolicyNotFoundError(
      `revision ${revision} of ${describe(ref)} is older than the last ${PolicyStorageLimits.maxHistory} revisions, which is as far back as a revert reaches`,
    );
  }
  const found = (await platform.history(ref, depth)).find((r) => r.revision === revision);
  if (!found) throw new PolicyNotFoundError(`${describe(ref)} has no revision ${revision}`);
  return found;
}

/** Refuses when the policy is not as the caller read it (changed, deleted or re-created since). */
function checkExpected(ref: PolicyRef, current: StoredPolicy | null, expected: string | null): void {
  const now = current?.resource.metadata.resourceVersion;
  if (expected === null) {
    if (current) {
      throw new PolicyConflictError(
        `${describe(ref)} was created again after you read it (it is now at resourceVersion ${now}): ` +
          'read it again and choose the revision to revert to',
      );
    }
    return;
  }
  if (!current) {
    throw new PolicyConflictError(
      `${describe(ref)} was deleted after you read it (you read resourceVersion ${expected}): ` +
        'read its history again and choose the revision to revert to',
    );
  }
  if (now !== expected) {
    throw new PolicyConflictError(
      `${describe(ref)} was changed after you read it (you read resourceVersion ${expected}, it is now ${now}): ` +
        'read it again and choose the revision to revert to',
    );
  }
}

export async function revertPolicy(platform: PolicyPlatform, request: RevertRequest): Promise<RevertOutcome> {
  const { ref, revision, expectedResourceVersion, by } = request;
  const target = await findRevision(platform, ref, revision);
  const current = await platform.get(ref);
  checkExpected(ref, current, expectedResourceVersion);

  if (target.action === 'delete' || target.spec === null) {
    if (!current) return { action: 'unchanged', revertedTo: revision, policy: null };
    await platform.delete(ref, by, expectedResourceVersion ?? undefined);
    return { action: 'delete', revertedTo: revision, policy: null };
  }

  const input: PolicyResourceInput = {
    apiVersion: POLICY_API_VERSION,
    kind: ref.kind,
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: current?.resource.metadata.labels,
      annotations: current?.resource.metadata.annotations,
      // The platform checks it again as part of the write (the window between the check above and here).
      ...(expectedResourceVersion !== null ? { resourceVersion: expectedResourceVersion } : {}),
    },
    spec: target.spec,
  } as PolicyResourceInput;
  // A spec an older schema allowed and this one does not is refused here, as any apply would refuse it.
  const resource = policyInputSchema.parse(input);
  if (current && canonical(current.resource.spec) === canonical(resource.spec)) {
    // Already live: writing would only move the resourceVersion (and, on Kubernetes, the generation).
    return { action: 'unchanged', revertedTo: revision, policy: current };
  }
  const written = await platform.apply(resource, by);
  return { action: current ? 'update' : 'create', revertedTo: revision, policy: written };
}

/** JSON with sorted keys: specs read back from a store need not keep the order they were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
