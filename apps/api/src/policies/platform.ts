/**
 * Where policies live, behind one interface: the database in universal mode, custom resources on the
 * Kubernetes API server in Kubernetes mode. The API's write path, the config stream and the console only
 * talk to a PolicyPlatform.
 */
import type { Condition, Finding, PolicyKind, PolicyResource } from '@weft/schema';

export interface PolicyRef {
  kind: PolicyKind;
  namespace: string;
  name: string;
}

/** A policy as stored: the resource (metadata.resourceVersion and generation set), its status and findings. */
export interface StoredPolicy {
  resource: PolicyResource;
  conditions: Condition[];
  /** validate() findings at the last write or re-check (warnings of an accepted policy, errors of a refused one). */
  findings: Finding[];
  updatedAtMs: number;
  updatedBy: string;
}

export interface PolicyRevision {
  ref: PolicyRef;
  /** 1, 2, 3… per policy. */
  revision: number;
  action: 'create' | 'update' | 'delete';
  /** The spec after the change (null for delete) and before it (null for create). */
  spec: unknown;
  previousSpec: unknown;
  by: string;
  atMs: number;
}

export class PolicyConflictError extends Error {}
export class PolicyNotFoundError extends Error {}
/** The resource was refused by validation; nothing was written. */
export class PolicyRefusedError extends Error {
  constructor(
    message: string,
    readonly findings: Finding[],
  ) {
    super(message);
  }
}

export interface PolicyPlatform {
  readonly name: 'universal' | 'kubernetes';
  list(filter?: { kind?: PolicyKind; namespace?: string }): Promise<StoredPolicy[]>;
  get(ref: PolicyRef): Promise<StoredPolicy | null>;
  /**
   * Creates or updates. When `resource.metadata.resourceVersion` is set and is not the stored one, throws
   * PolicyConflictError (someone changed it meanwhile). Validation errors throw PolicyRefusedError.
   */
  apply(resource: PolicyResource, by: string): Promise<StoredPolicy>;
  delete(ref: PolicyRef, by: string, resourceVersion?: string): Promise<void>;
  history(ref?: Partial<PolicyRef>, limit?: number): Promise<PolicyRevision[]>;
  /**
   * Sets the conditions the config stream owns (Programmed). An `Accepted` among them is ignored: the
   * platform owns that one (the write path and re-validation), and a caller's copy may be stale.
   */
  setConditions(ref: PolicyRef, conditions: Condition[]): Promise<void>;
  /** Called after any change to any policy; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The dry run: what apply() would decide about a parsed resource, without writing anything. */
export interface PolicyChecker {
  /** validate() findings against the current cluster view and the other stored policies. */
  check(resource: PolicyResource): Promise<Finding[]>;
}
