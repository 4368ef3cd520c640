/**
 * Policies in Kubernetes mode: custom resources on the API server, read from the informer caches, written
 * through CustomObjectsApi. A write through the API is validated against the cluster as the caches see it
 * and refused before anything is written; the server's resourceVersion check gives optimistic concurrency
 * (409 → PolicyConflictError) and its CRD schema the last word on shape (422 → PolicyRefusedError with
 * SCHEMA findings). A resource written past the API (kubectl) is validated when the informer sees it and
 * gets Accepted=False with the findings in its status when it has errors (so it is not compiled).
 * When the cluster changes (Services, EndpointSlices, Pods, HTTPRoutes), stored policies are validated again
 * and their Accepted condition follows a target that disappears or comes back (policies/revalidate.ts).
 *
 * The cluster keeps no history: the API records one in its database (the PolicyRevision table the universal
 * platform uses), for its own writes with the user's name and for changes it sees from elsewhere as
 * "kubernetes". Work on one policy (a write, a reaction to an informer event) runs one at a time.
 */
import { EventEmitter } from 'node:events';
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  conditionSchema,
  hasErrors,
  POLICY_API_VERSION,
  POLICY_GROUP,
  POLICY_KIND_NAMES,
  POLICY_KINDS,
  POLICY_VERSION,
  policyKey,
  validate,
  type ClusterView,
  type Condition,
  type Finding,
  type PolicyKind,
  type PolicyResource,
} from '@weft/schema';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import {
  acceptedCondition,
  MAX_CONDITIONS,
  mergeConditions,
  pendingProgrammedCondition,
} from '../../policies/conditions.ts';
import {
  describeFindings,
  policyInputSchema,
  PolicyStorageLimits,
  schemaFindings,
} from '../../policies/limits.ts';
import {
  PolicyConflictError,
  PolicyNotFoundError,
  PolicyRefusedError,
  type PolicyChecker,
  type PolicyPlatform,
  type PolicyRef,
  type PolicyRevision,
  type StoredPolicy,
} from '../../policies/platform.ts';
import { Revalidator, type RevalidatorOptions } from '../../policies/revalidate.ts';
import type { CacheEvent, KubernetesCaches, PolicyObject } from './caches.ts';
import { clusterRoutes, HttpRouteReader, serviceKeys } from './routes.ts';
import { kubernetesServices } from './view.ts';

/** Who changes made past the API are attributed to in the history. */
export const KUBERNETES_ACTOR = 'kubernetes';
const FIELD_MANAGER = 'weft-api';
/** Longest a write waits for the informer to show it (read-your-writes for the caller). */
const CACHE_WAIT_MS = 5_000;

const conditionsSchema = z.array(conditionSchema).max(MAX_CONDITIONS);

interface KubernetesStatus {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

function describe(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function refKey(ref: PolicyRef): string {
  return describe(ref);
}

function refOf(resource: Pick<PolicyResource, 'kind' | 'metadata'>): PolicyRef {
  return { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name };
}

/** JSON with sorted keys: the server may order fields differently from how they were sent. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function statusOf(err: ApiException<unknown>): KubernetesStatus {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubernetesStatus;
    } catch {
      return { message: body };
    }
  }
  return body ?? {};
}

function conditionsOf(object: PolicyObject): Condition[] {
  const parsed = conditionsSchema.safeParse(object.status?.conditions ?? []);
  return parsed.success ? parsed.data : [];
}

function updatedAtOf(object: PolicyObject): number {
  const times = (object.metadata?.managedFields ?? [])
    .map((f) => (f.time ? new Date(f.time).getTime() : 0))
    .filter((t) => Number.isFinite(t));
  const created = object.metadata?.creationTimestamp
    ? new Date(object.metadata.creationTimestamp).getTime()
    : 0;
  return Math.max(created, ...times);
}

function specOf(kind: PolicyKind, spec: unknown): unknown {
  const parsed = POLICY_KINDS[kind].spec.safeParse(spec ?? {});
  return parsed.success ? parsed.data : (spec ?? {});
}

/** A cached object as a resource; the informer's copy is trusted as the API server validated it. */
function toResource(kind: PolicyKind, object: PolicyObject): PolicyResource {
  const m = object.metadata ?? {};
  const created = m.creationTimestamp as unknown;
  return {
    apiVersion: POLICY_API_VERSION,
    kind,
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? '',
      labels: m.labels && Object.keys(m.labels).length > 0 ? m.labels : undefined,
      annotations: m.annotations && Object.keys(m.annotations).length > 0 ? m.annotations : undefined,
      resourceVersion: m.resourceVersion,
      generation: m.generation,
      uid: m.uid,
      creationTimestamp:
        created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : undefined,
    },
    // Through the kind's schema for its defaults (targetRef.kind), which a CRD need not apply.
    spec: specOf(kind, object.spec),
    status: { conditions: conditionsOf(object) },
  } as PolicyResource;
}

export interface KubernetesPlatformOptions {
  now?: () => number;
  log?: (line: string) => void;
  /** The parsed HTTPRoutes (shared with the config compiler); one of its own when absent. */
  routes?: HttpRouteReader;
  revalidation?: Pick<RevalidatorOptions, 'debounceMs' | 'maxDelayMs' | 'targetGraceMs'>;
}

export class KubernetesPolicyPlatform implements PolicyPlatform, PolicyChecker {
  readonly name = 'kubernetes' as const;
  /** The API server this platform talks to (for the console's platform.info). */
  readonly server: string;
  readonly #custom: CustomObjectsApi;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #changes = new EventEmitter().setMaxListeners(0);
  /** The validate() findings of each policy's current generation. */
  readonly #findings = new Map<string, { generation: number; findings: Finding[] }>();
  /** Who wrote each policy last through the API (in memory; the history has it for good). */
  readonly #writers = new Map<string, { resourceVersion: string; by: string }>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #unsubscribe: () => void;
  readonly #routes: HttpRouteReader;
  readonly #revalidator: Revalidator;

  constructor(
    kc: KubeConfig,
    private readonly caches: KubernetesCaches,
    private readonly db: Db,
    options: KubernetesPlatformOptions = {},
  ) {
    this.server = kc.getCurrentCluster()?.server ?? '';
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#routes = options.routes ?? new HttpRouteReader(caches, this.#log);
    this.#revalidator = new Revalidator(
      {
        snapshot: async () => {
          // What a cache still listing (or failing) lacks is not gone from the cluster.
          if (!this.caches.synced()) return null;
          const validateIn = this.#validator();
          return { policies: await this.list(), validate: validateIn };
        },
        writeAccepted: (ref, generation, accepted, findings) =>
          this.#writeAccepted(ref, generation, accepted, findings),
      },
      { log: this.#log, now: this.#now, ...options.revalidation },
    );
    this.#unsubscribe = caches.on((event) => this.#onCacheEvent(event));
  }

  close(): void {
    this.#unsubscribe();
    this.#revalidator.close();
  }

  /** Validates every stored policy against the caches now and updates Accepted where the outcome changed. */
  revalidate(): Promise<number> {
    return this.#revalidator.run();
  }

  /** A re-validation soon (debounced): after start, a target may have gone while the API was down. */
  scheduleRevalidation(): void {
    this.#revalidator.schedule();
  }

  async list(filter: { kind?: PolicyKind; namespace?: string } = {}): Promise<StoredPolicy[]> {
    const kinds = filter.kind ? [filter.kind] : POLICY_KIND_NAMES;
    const out = kinds.flatMap((kind) =>
      this.caches.policies[kind].list(filter.namespace).map((o) => this.#toStored(kind, o)),
    );
    const key = (p: StoredPolicy) => [
      p.resource.metadata.namespace,
      p.resource.kind,
      p.resource.metadata.name,
    ];
    out.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
      return 0;
    });
    return Promise.resolve(out);
  }

  get(ref: PolicyRef): Promise<StoredPolicy | null> {
    const object = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
    return Promise.resolve(object ? this.#toStored(ref.kind, object) : null);
  }

  check(resource: PolicyResource): Promise<Finding[]> {
    return Promise.resolve(this.#validate(resource));
  }

  async apply(input: PolicyResource, by: string): Promise<StoredPolicy> {
    const resource = policyInputSchema.parse(input);
    checkActor(by);
    const ref = refOf(resource);
    return this.#serial(ref, async () => {
      const sentVersion = resource.metadata.resourceVersion;
      const existing = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
      if (sentVersion !== undefined && !existing) {
        throw new PolicyConflictError(
          `${describe(ref)} was deleted after you read it (you sent resourceVersion ${sentVersion}); ` +
            'drop metadata.resourceVersion to create it again',
        );
      }
      if (sentVersion !== undefined && existing?.metadata?.resourceVersion !== sentVersion) {
        throw this.#changedMeanwhile(ref, sentVersion, existing?.metadata?.resourceVersion);
      }
      const findings = this.#validate(resource);
      if (hasErrors(findings)) {
        throw new PolicyRefusedError(
          `${describe(ref)} is invalid: ${describeFindings(findings.filter((f) => f.severity === 'error'))}`,
          findings,
        );
      }
      const body = {
        apiVersion: POLICY_API_VERSION,
        kind: ref.kind,
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          labels: resource.metadata.labels,
          annotations: resource.metadata.annotations,
          ...(existing ? { resourceVersion: sentVersion ?? existing.metadata?.resourceVersion } : {}),
        },
        spec: resource.spec,
      };
      const params = {
        group: POLICY_GROUP,
        version: POLICY_VERSION,
        namespace: ref.namespace,
        plural: POLICY_KINDS[ref.kind].plural,
        fieldManager: FIELD_MANAGER,
      };
      let written: PolicyObject;
      try {
        written = (
          existing
            ? await this.#custom.replaceNamespacedCustomObject({ ...params, name: ref.name, body })
            : await this.#custom.createNamespacedCustomObject({ ...params, body })
        ) as PolicyObject;
      } catch (err) {
        throw this.#writeError(ref, err, sentVersion);
      }
      const generation = written.metadata?.generation ?? 1;
      const specChanged = !existing || canonical(existing.spec) !== canonical(written.spec);
      this.#findings.set(refKey(ref), { generation, findings });
      this.#writers.set(refKey(ref), { resourceVersion: written.metadata?.resourceVersion ?? '', by });
      if (specChanged) {
        await this.#record(ref, {
          action: existing ? 'update' : 'create',
          spec: written.spec,
          previousSpec: existing?.spec ?? null,
          by,
        });
      }
      const at = new Date(this.#now());
      const previous = conditionsOf(written);
      const conditions = mergeConditions(previous, [
        acceptedCondition(findings, generation, at),
        ...(specChanged || !previous.some((c) => c.type === 'Programmed')
          ? [pendingProgrammedCondition(generation, at)]
          : []),
      ]);
      const final = await this.#writeStatus(ref, conditions).catch((err: unknown) => {
        // The policy is written; the informer's re-check writes the status again.
        this.#log(`weft-api: cannot write the status of ${describe(ref)}: ${(err as Error).message}`);
        return written;
      });
      this.#writers.set(refKey(ref), { resourceVersion: final.metadata?.resourceVersion ?? '', by });
      await this.#cacheShows(ref, final.metadata?.resourceVersion);
      return this.#toStored(ref.kind, final);
    });
  }

  async delete(ref: PolicyRef, by: string, resourceVersion?: string): Promise<void> {
    checkActor(by);
    await this.#serial(ref, async () => {
      const existing = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
      try {
        await this.#custom.deleteNamespacedCustomObject({
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          namespace: ref.namespace,
          plural: POLICY_KINDS[ref.kind].plural,
          name: ref.name,
          ...(resourceVersion !== undefined ? { body: { preconditions: { resourceVersion } } } : {}),
        });
      } catch (err) {
        throw this.#writeError(ref, err, resourceVersion, 'delete');
      }
      await this.#record(ref, { action: 'delete', spec: null, previousSpec: existing?.spec ?? null, by });
      this.#findings.delete(refKey(ref));
      this.#writers.delete(refKey(ref));
      await this.#cacheShows(ref, undefined);
    });
  }

  async history(ref: Partial<PolicyRef> = {}, limit: number = PolicyStorageLimits.defaultHistory) {
    const take = Math.max(1, Math.min(PolicyStorageLimits.maxHistory, Math.floor(limit)));
    const rows = await this.db.policyRevision.findMany({
      where: { kind: ref.kind, namespace: ref.namespace, name: ref.name },
      orderBy: { id: 'desc' },
      take,
    });
    return rows.map((r): PolicyRevision => ({
      ref: { kind: r.kind as PolicyKind, namespace: r.namespace, name: r.name },
      revision: r.revision,
      action: r.action as PolicyRevision['action'],
      spec: r.spec === null ? null : (JSON.parse(r.spec) as unknown),
      previousSpec: r.previousSpec === null ? null : (JSON.parse(r.previousSpec) as unknown),
      by: r.by,
      atMs: r.at.getTime(),
    }));
  }

  async setConditions(ref: PolicyRef, updates: Condition[]): Promise<void> {
    const parsed = conditionsSchema.parse(updates).filter((c) => c.type !== 'Accepted');
    await this.#serial(ref, async () => {
      const existing = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
      if (!existing) throw new PolicyNotFoundError(`there is no ${describe(ref)}`);
      const previous = conditionsOf(existing);
      const conditions = mergeConditions(previous, parsed);
      if (JSON.stringify(conditions) === JSON.stringify(previous)) return;
      await this.#writeStatus(ref, conditions);
    });
  }

  onChange(listener: () => void): () => void {
    const safe = () => {
      try {
        listener();
      } catch (err) {
        this.#log(
          `policy change listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
    };
    this.#changes.on('change', safe);
    return () => this.#changes.off('change', safe);
  }

  #toStored(kind: PolicyKind, object: PolicyObject): StoredPolicy {
    const resource = toResource(kind, object);
    const key = refKey(refOf(resource));
    const memo = this.#findings.get(key);
    const writer = this.#writers.get(key);
    return {
      resource,
      conditions: resource.status?.conditions ?? [],
      findings: memo && memo.generation === resource.metadata.generation ? memo.findings : [],
      updatedAtMs: updatedAtOf(object),
      updatedBy:
        writer && writer.resourceVersion === resource.metadata.resourceVersion ? writer.by : KUBERNETES_ACTOR,
    };
  }

  /** validate() against the caches; policies refused in their status do not count as in force. */
  #validate(resource: PolicyResource): Finding[] {
    return this.#validator()(resource);
  }

  /** validate() bound to one view of the caches (services and routes computed once). */
  #validator(): (resource: PolicyResource) => Finding[] {
    const view: Omit<ClusterView, 'policies'> = {
      services: kubernetesServices(this.caches),
      routes: clusterRoutes(this.#routes.routes(), serviceKeys(this.caches)),
    };
    const inForce = new Map<string, PolicyResource[]>();
    return (resource) => {
      const namespace = resource.metadata.namespace;
      let policies = inForce.get(namespace);
      if (!policies) {
        policies = POLICY_KIND_NAMES.flatMap((kind) =>
          this.caches.policies[kind]
            .list(namespace)
            .filter((o) => !conditionsOf(o).some((c) => c.type === 'Accepted' && c.status === 'False'))
            .map((o) => toResource(kind, o)),
        );
        inForce.set(namespace, policies);
      }
      return validate(resource, { ...view, policies });
    };
  }

  /** Re-validation's write: Accepted (status subresource) and the findings, if still at `generation`. */
  async #writeAccepted(
    ref: PolicyRef,
    generation: number,
    accepted: Condition,
    findings: Finding[],
  ): Promise<void> {
    await this.#serial(ref, async () => {
      const existing = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
      if (!existing) throw new PolicyNotFoundError(`there is no ${describe(ref)}`);
      // Changed meanwhile: its own reconcile validates the new generation.
      if ((existing.metadata?.generation ?? 0) !== generation) return;
      this.#findings.set(refKey(ref), { generation, findings });
      const previous = conditionsOf(existing);
      const conditions = mergeConditions(previous, [accepted]);
      if (JSON.stringify(conditions) === JSON.stringify(previous)) return;
      const written = await this.#writeStatus(ref, conditions);
      await this.#cacheShows(ref, written.metadata?.resourceVersion);
    });
  }

  #changedMeanwhile(ref: PolicyRef, sent: string, now: string | undefined): PolicyConflictError {
    return new PolicyConflictError(
      `${describe(ref)} was changed after you read it (you sent resourceVersion ${sent}` +
        `${now ? `, it is now ${now}` : ''}): read it again, re-apply your change and retry`,
    );
  }

  #writeError(ref: PolicyRef, err: unknown, sentVersion: string | undefined, verb = 'write'): Error {
    if (!(err instanceof ApiException)) return err instanceof Error ? err : new Error(String(err));
    const status = statusOf(err as ApiException<unknown>);
    if (err.code === 409) {
      if (status.reason === 'AlreadyExists') {
        return new PolicyConflictError(
          `${describe(ref)} was created by someone else meanwhile: read it and retry`,
        );
      }
      return sentVersion !== undefined
        ? this.#changedMeanwhile(ref, sentVersion, undefined)
        : new PolicyConflictError(
            `${describe(ref)} was changed by someone else during the ${verb}: read it again and retry`,
          );
    }
    if (err.code === 404) return new PolicyNotFoundError(`there is no ${describe(ref)}`);
    if (err.code === 422 || err.code === 400) {
      const causes = status.details?.causes ?? [];
      const findings = (causes.length > 0
        ? causes
        : [{ field: '', message: status.message ?? 'invalid' }]
      ).map((c) => ({
        code: 'SCHEMA',
        severity: 'error',
        path: c.field ?? '',
        message: c.message ?? c.reason ?? 'invalid',
      })) as unknown as Finding[];
      return new PolicyRefusedError(
        `the Kubernetes API server refused ${describe(ref)}: ${status.message ?? `HTTP ${err.code}`}`,
        findings,
      );
    }
    return new Error(
      `the Kubernetes API server answered HTTP ${err.code} to the ${verb} of ${describe(ref)}: ${status.message ?? ''}`,
    );
  }

  async #writeStatus(ref: PolicyRef, conditions: Condition[]): Promise<PolicyObject> {
    try {
      return (await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group: POLICY_GROUP,
          version: POLICY_VERSION,
          namespace: ref.namespace,
          plural: POLICY_KINDS[ref.kind].plural,
          name: ref.name,
          body: { status: { conditions } },
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as PolicyObject;
    } catch (err) {
      throw this.#writeError(ref, err, undefined, 'status write');
    }
  }

  /** Appends to the audit trail: the revision after the ref's last one. */
  async #record(
    ref: PolicyRef,
    change: { action: PolicyRevision['action']; spec: unknown; previousSpec: unknown; by: string },
  ): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const last = await tx.policyRevision.aggregate({
        _max: { revision: true },
        where: { kind: ref.kind, namespace: ref.namespace, name: ref.name },
      });
      await tx.policyRevision.create({
        data: {
          ...ref,
          revision: (last._max.revision ?? 0) + 1,
          action: change.action,
          spec: change.spec === null ? null : JSON.stringify(change.spec),
          previousSpec: change.previousSpec === null ? null : JSON.stringify(change.previousSpec),
          by: change.by,
          at: new Date(this.#now()),
        },
      });
    });
  }

  /** Waits (bounded) until the informer shows `resourceVersion`, or no object when it is undefined. */
  async #cacheShows(ref: PolicyRef, resourceVersion: string | undefined): Promise<void> {
    const deadline = Date.now() + CACHE_WAIT_MS;
    while (Date.now() < deadline) {
      const cached = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
      if (resourceVersion === undefined ? !cached : cached?.metadata?.resourceVersion === resourceVersion)
        return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Runs `work` after the other work on the same policy. */
  #serial<T>(ref: PolicyRef, work: () => Promise<T>): Promise<T> {
    const key = refKey(ref);
    const run = (this.#locks.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  #onCacheEvent(event: CacheEvent): void {
    this.#changes.emit('change');
    if (event.type === 'cluster') this.#revalidator.schedule();
    if (event.type !== 'policy') return;
    const m = event.object.metadata;
    if (!m?.name || !m.namespace) return;
    const ref: PolicyRef = { kind: event.kind, namespace: m.namespace, name: m.name };
    this.#serial(ref, () => this.#reconcile(ref, event.verb === 'delete')).catch((err: unknown) =>
      this.#log(`weft-api: cannot reconcile ${describe(ref)}: ${(err as Error).message}`),
    );
  }

  /**
   * What a change seen by the informer asks for: a history entry when the spec differs from the last one
   * recorded (a change made past the API), and the Accepted condition when it is not for this generation.
   */
  async #reconcile(ref: PolicyRef, deleted: boolean): Promise<void> {
    const last = await this.db.policyRevision.findFirst({
      where: { kind: ref.kind, namespace: ref.namespace, name: ref.name },
      orderBy: { revision: 'desc' },
    });
    const object = this.caches.policies[ref.kind].get(ref.name, ref.namespace);
    if (deleted || !object) {
      if (object) return; // re-created meanwhile: its own event follows
      this.#findings.delete(refKey(ref));
      if (last && last.action !== 'delete') {
        await this.#record(ref, {
          action: 'delete',
          spec: null,
          previousSpec: last.spec === null ? null : (JSON.parse(last.spec) as unknown),
          by: KUBERNETES_ACTOR,
        });
      }
      return;
    }
    const lastSpec =
      last && last.action !== 'delete' && last.spec !== null ? (JSON.parse(last.spec) as unknown) : undefined;
    if (lastSpec === undefined || canonical(lastSpec) !== canonical(object.spec)) {
      await this.#record(ref, {
        action: lastSpec === undefined ? 'create' : 'update',
        spec: object.spec ?? null,
        previousSpec: lastSpec ?? null,
        by: KUBERNETES_ACTOR,
      });
    }
    const generation = object.metadata?.generation ?? 0;
    const conditions = conditionsOf(object);
    const accepted = conditions.find((c) => c.type === 'Accepted');
    const memo = this.#findings.get(refKey(ref));
    if (accepted?.observedGeneration === generation && memo?.generation === generation) return;

    const parsed = policyInputSchema.safeParse(toResource(ref.kind, object));
    const findings: Finding[] = parsed.success
      ? this.#validate(parsed.data)
      : (schemaFindings(parsed.error) as unknown as Finding[]);
    this.#findings.set(refKey(ref), { generation, findings });
    if (accepted?.observedGeneration === generation) return; // only the memo was missing (a restart)
    const at = new Date(this.#now());
    await this.#writeStatus(
      ref,
      mergeConditions(conditions, [
        acceptedCondition(findings, generation, at),
        pendingProgrammedCondition(generation, at),
      ]),
    );
    if (hasErrors(findings)) {
      this.#log(
        `weft-api: ${policyKey({ kind: ref.kind, metadata: ref })} is not accepted: ${describeFindings(findings)}`,
      );
    }
  }
}

function checkActor(by: string): string {
  if (by.length === 0 || by.length > PolicyStorageLimits.maxActorLength) {
    throw new Error(`actor name must be 1..${PolicyStorageLimits.maxActorLength} characters`);
  }
  return by;
}
