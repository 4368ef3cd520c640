/**
 * Policies in universal mode: rows in the API's database (Policy, PolicyRevision, PolicyCounter).
 *
 * A write parses, validates against the cluster (services from the registry, the other stored policies) and
 * commits the policy row and its revision in one transaction, or throws and writes nothing. Each write
 * transaction starts by taking the next resourceVersion from the single PolicyCounter row: on PostgreSQL that
 * row lock serialises policy writes across API processes, on SQLite the write lock does, so validation always
 * sees the other policies as committed (two TrafficSplits for one Service cannot both pass). A transaction that
 * ends up writing nothing rolls back, or leaves a gap in the counter, which is harmless: resourceVersions are
 * compared for equality only, and never repeat, even across delete and re-create.
 *
 * Re-validation (revalidate.ts) runs after registry membership changes and every `everyMs`: a Service exists
 * here while it has registrations, so one whose last instance deregistered takes its policies' Accepted
 * back (after `targetGraceMs`, so a single instance restarting does not). There are no HTTPRoutes in
 * universal mode: only Service targets can be valid.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  POLICY_API_VERSION,
  conditionSchema,
  hasErrors,
  validate,
  type ClusterService,
  type Condition,
  type Finding,
  type PolicyKind,
  type PolicyResource,
} from '@weft/schema';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { Policy as PolicyRow, Prisma } from '../generated/sqlite/client.ts';
import {
  acceptedCondition,
  MAX_CONDITIONS,
  mergeConditions,
  pendingProgrammedCondition,
} from './conditions.ts';
import { describeFindings, policyInputSchema, PolicyStorageLimits } from './limits.ts';
import { Revalidator, type RevalidatorOptions } from './revalidate.ts';
import {
  PolicyConflictError,
  PolicyNotFoundError,
  PolicyRefusedError,
  type PolicyChecker,
  type PolicyPlatform,
  type PolicyRef,
  type PolicyRevision,
  type StoredPolicy,
} from './platform.ts';

type Tx = Prisma.TransactionClient;

export interface UniversalPlatformOptions {
  /** The services and their live versions (cluster-view.ts: registryServices). */
  services: () => Promise<ClusterService[]>;
  /**
   * Registry membership changes (ServiceRegistry.onChange): each schedules a re-validation of the stored
   * policies. Without it policies are re-validated only when revalidate() is called.
   */
  clusterChanges?: (listener: () => void) => () => void;
  revalidation?: Pick<RevalidatorOptions, 'debounceMs' | 'maxDelayMs' | 'targetGraceMs'> & {
    /** Re-validation also runs this often (instances expire without an event). */
    everyMs?: number;
  };
  now?: () => number;
  log?: (line: string) => void;
}

const COUNTER_ID = 1;
/** A write waits this long for another one to finish; writes take milliseconds. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 10_000 } as const;

const conditionsSchema = z.array(conditionSchema).max(MAX_CONDITIONS);

function refOf(resource: PolicyResource): PolicyRef {
  return { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name };
}

function keyOf(ref: PolicyRef) {
  return { kind_namespace_name: { kind: ref.kind, namespace: ref.namespace, name: ref.name } };
}

function describe(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  return JSON.parse(text) as T;
}

/** Record<string,string> as stored: "{}" when absent, so absent and empty compare equal. */
function mapJson(map: Record<string, string> | undefined): string {
  return JSON.stringify(map ?? {});
}

function nonEmpty(map: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(map).length > 0 ? map : undefined;
}

function checkActor(by: string): string {
  if (by.length === 0 || by.length > PolicyStorageLimits.maxActorLength) {
    throw new Error(`actor name must be 1..${PolicyStorageLimits.maxActorLength} characters`);
  }
  return by;
}

/**
 * A row as a resource. Rows are written only from parsed resources, so the spec is trusted as stored (a read
 * never fails because a later schema version grew a required field).
 */
function toStored(row: PolicyRow): StoredPolicy {
  const conditions = parseJson<Condition[]>(row.conditions, []);
  const resource = {
    apiVersion: POLICY_API_VERSION,
    kind: row.kind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      labels: nonEmpty(parseJson<Record<string, string>>(row.labels, {})),
      annotations: nonEmpty(parseJson<Record<string, string>>(row.annotations, {})),
      resourceVersion: String(row.resourceVersion),
      generation: row.generation,
      uid: row.id,
      creationTimestamp: row.createdAt.toISOString(),
    },
    spec: parseJson<unknown>(row.spec, {}),
    status: { conditions },
  } as PolicyResource;
  return {
    resource,
    conditions,
    findings: parseJson<Finding[]>(row.findings, []),
    updatedAtMs: row.updatedAt.getTime(),
    updatedBy: row.updatedBy,
  };
}

function storedFindings(findings: readonly Finding[]): string {
  const max = PolicyStorageLimits.maxFindingMessageLength;
  return JSON.stringify(
    findings
      .slice(0, PolicyStorageLimits.maxStoredFindings)
      .map((f) => (f.message.length > max ? { ...f, message: `${f.message.slice(0, max - 1)}…` } : f)),
  );
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'P2002';
}

export class UniversalPolicyPlatform implements PolicyPlatform, PolicyChecker {
  readonly name = 'universal' as const;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly changes = new EventEmitter().setMaxListeners(0);
  private readonly revalidator: Revalidator;
  private readonly stopWatching: (() => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly options: UniversalPlatformOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => console.error(line));
    this.revalidator = new Revalidator(
      {
        snapshot: async () => {
          const [services, rows] = await Promise.all([this.options.services(), this.db.policy.findMany()]);
          const stored = rows.map(toStored);
          const byNamespace = new Map<string, PolicyResource[]>();
          for (const p of stored) {
            const ns = p.resource.metadata.namespace;
            byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p.resource]);
          }
          return {
            policies: stored,
            validate: (resource) =>
              validate(resource, {
                services,
                routes: [],
                policies: byNamespace.get(resource.metadata.namespace) ?? [],
              }),
          };
        },
        writeAccepted: (ref, generation, accepted, findings) =>
          this.writeAccepted(ref, generation, accepted, findings),
      },
      { log: this.log, now: this.now, ...options.revalidation },
    );
    if (options.clusterChanges) {
      this.stopWatching.push(options.clusterChanges(() => this.revalidator.schedule()));
      const every = setInterval(
        () => this.revalidator.schedule(),
        options.revalidation?.everyMs ?? 60_000,
      ).unref();
      this.stopWatching.push(() => clearInterval(every));
    }
  }

  /** Validates every stored policy against the cluster now and updates Accepted where the outcome changed. */
  revalidate(): Promise<number> {
    return this.revalidator.run();
  }

  close(): void {
    for (const stop of this.stopWatching.splice(0)) stop();
    this.revalidator.close();
  }

  async list(filter: { kind?: PolicyKind; namespace?: string } = {}): Promise<StoredPolicy[]> {
    const rows = await this.db.policy.findMany({
      where: { kind: filter.kind, namespace: filter.namespace },
      orderBy: [{ namespace: 'asc' }, { kind: 'asc' }, { name: 'asc' }],
    });
    return rows.map(toStored);
  }

  async get(ref: PolicyRef): Promise<StoredPolicy | null> {
    const row = await this.db.policy.findUnique({ where: keyOf(ref) });
    return row ? toStored(row) : null;
  }

  /**
   * The findings apply() would act on, without writing: for the dry run (policies.validate) and the console.
   * `resource` must already be parsed (policyInputSchema).
   */
  async check(resource: PolicyResource): Promise<Finding[]> {
    const services = await this.options.services();
    return validate(resource, {
      services,
      routes: [],
      policies: await this.othersIn(this.db, resource.metadata.namespace),
    });
  }

  async apply(input: PolicyResource, by: string): Promise<StoredPolicy> {
    const resource = policyInputSchema.parse(input);
    checkActor(by);
    const ref = refOf(resource);
    const sentVersion = resource.metadata.resourceVersion;
    // Outside the transaction: the registry has its own cache and connection use.
    const services = await this.options.services();
    const result = await this.transaction(async (tx) => {
      const resourceVersion = await this.nextResourceVersion(tx);
      const existing = await tx.policy.findUnique({ where: keyOf(ref) });
      if (sentVersion !== undefined) {
        if (!existing) {
          throw new PolicyConflictError(
            `${describe(ref)} was deleted after you read it (you sent resourceVersion ${sentVersion}); ` +
              'drop metadata.resourceVersion to create it again',
          );
        }
        if (String(existing.resourceVersion) !== sentVersion) {
          throw new PolicyConflictError(
            `${describe(ref)} was changed after you read it (you sent resourceVersion ${sentVersion}, ` +
              `it is now ${existing.resourceVersion}): read it again, re-apply your change and retry`,
          );
        }
      }
      const findings = validate(resource, {
        services,
        routes: [],
        policies: await this.othersIn(tx, ref.namespace),
      });
      if (hasErrors(findings)) {
        throw new PolicyRefusedError(
          `${describe(ref)} is invalid: ${describeFindings(findings.filter((f) => f.severity === 'error'))}`,
          findings,
        );
      }

      const spec = JSON.stringify(resource.spec);
      const labels = mapJson(resource.metadata.labels);
      const annotations = mapJson(resource.metadata.annotations);
      const findingsJson = storedFindings(findings);
      const at = new Date(this.now());
      const specChanged = existing?.spec !== spec;
      if (
        existing &&
        !specChanged &&
        existing.labels === labels &&
        existing.annotations === annotations &&
        existing.findings === findingsJson
      ) {
        return { row: existing, changed: false };
      }

      const generation = !existing ? 1 : specChanged ? existing.generation + 1 : existing.generation;
      const previousConditions = existing ? parseJson<Condition[]>(existing.conditions, []) : [];
      const conditions = mergeConditions(previousConditions, [
        acceptedCondition(findings, generation, at),
        ...(specChanged || !previousConditions.some((c) => c.type === 'Programmed')
          ? [pendingProgrammedCondition(generation, at)]
          : []),
      ]);
      const fields = {
        spec,
        labels,
        annotations,
        resourceVersion,
        generation,
        conditions: JSON.stringify(conditions),
        findings: findingsJson,
        updatedAt: at,
        updatedBy: by,
      };
      const row = existing
        ? await tx.policy.update({ where: { id: existing.id }, data: fields })
        : await tx.policy.create({ data: { id: randomUUID(), ...ref, createdAt: at, ...fields } });
      if (specChanged) {
        await this.writeRevision(tx, ref, {
          action: existing ? 'update' : 'create',
          spec,
          previousSpec: existing?.spec ?? null,
          by,
          at,
        });
      }
      return { row, changed: true };
    });
    if (result.changed) this.emitChange();
    return toStored(result.row);
  }

  async delete(ref: PolicyRef, by: string, resourceVersion?: string): Promise<void> {
    checkActor(by);
    await this.transaction(async (tx) => {
      await this.nextResourceVersion(tx);
      const existing = await tx.policy.findUnique({ where: keyOf(ref) });
      if (!existing) throw new PolicyNotFoundError(`there is no ${describe(ref)}`);
      if (resourceVersion !== undefined && String(existing.resourceVersion) !== resourceVersion) {
        throw new PolicyConflictError(
          `${describe(ref)} was changed after you read it (you sent resourceVersion ${resourceVersion}, ` +
            `it is now ${existing.resourceVersion}): read it again and retry the delete if you still mean it`,
        );
      }
      await tx.policy.delete({ where: { id: existing.id } });
      await this.writeRevision(tx, ref, {
        action: 'delete',
        spec: null,
        previousSpec: existing.spec,
        by,
        at: new Date(this.now()),
      });
    });
    this.emitChange();
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
      spec: parseJson<unknown>(r.spec, null),
      previousSpec: parseJson<unknown>(r.previousSpec, null),
      by: r.by,
      atMs: r.at.getTime(),
    }));
  }

  /** Status only: no revision, no generation bump; the resourceVersion moves on, as a status write does in Kubernetes. */
  async setConditions(ref: PolicyRef, updates: Condition[]): Promise<void> {
    const parsed = conditionsSchema.parse(updates).filter((c) => c.type !== 'Accepted');
    const changed = await this.transaction(async (tx) => {
      const resourceVersion = await this.nextResourceVersion(tx);
      const existing = await tx.policy.findUnique({ where: keyOf(ref) });
      if (!existing) throw new PolicyNotFoundError(`there is no ${describe(ref)}`);
      const conditions = JSON.stringify(
        mergeConditions(parseJson<Condition[]>(existing.conditions, []), parsed),
      );
      if (conditions === existing.conditions) return false;
      await tx.policy.update({ where: { id: existing.id }, data: { conditions, resourceVersion } });
      return true;
    });
    if (changed) this.emitChange();
  }

  /** Re-validation's write: Accepted and the findings, if the policy is still at `generation`. */
  private async writeAccepted(
    ref: PolicyRef,
    generation: number,
    accepted: Condition,
    findings: Finding[],
  ): Promise<void> {
    const changed = await this.transaction(async (tx) => {
      const resourceVersion = await this.nextResourceVersion(tx);
      const existing = await tx.policy.findUnique({ where: keyOf(ref) });
      if (!existing) throw new PolicyNotFoundError(`there is no ${describe(ref)}`);
      // Written meanwhile: that write validated it.
      if (existing.generation !== generation) return false;
      const conditions = JSON.stringify(
        mergeConditions(parseJson<Condition[]>(existing.conditions, []), [accepted]),
      );
      const findingsJson = storedFindings(findings);
      if (conditions === existing.conditions && findingsJson === existing.findings) return false;
      await tx.policy.update({
        where: { id: existing.id },
        data: { conditions, findings: findingsJson, resourceVersion },
      });
      return true;
    });
    if (changed) this.emitChange();
  }

  onChange(listener: () => void): () => void {
    const safe = () => {
      try {
        listener();
      } catch (err) {
        this.log(
          `policy change listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
    };
    this.changes.on('change', safe);
    return () => this.changes.off('change', safe);
  }

  private emitChange(): void {
    this.changes.emit('change');
  }

  private async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.db.$transaction(work, TRANSACTION_OPTIONS);
    } catch (err) {
      // Only reachable if another writer bypassed the counter: the row exists now.
      if (isUniqueViolation(err)) {
        throw new PolicyConflictError('the policy was created by someone else meanwhile: read it and retry');
      }
      throw err;
    }
  }

  /** Takes the next value of the one counter row; first in every write transaction (see the file comment). */
  private async nextResourceVersion(tx: Tx): Promise<number> {
    const counter = await tx.policyCounter.upsert({
      where: { id: COUNTER_ID },
      create: { id: COUNTER_ID, value: 1 },
      update: { value: { increment: 1 } },
    });
    return counter.value;
  }

  /** The stored policies of a namespace (validate() only relates policies within one namespace). */
  private async othersIn(db: Tx, namespace: string): Promise<PolicyResource[]> {
    const rows = await db.policy.findMany({ where: { namespace } });
    return rows.map((row) => toStored(row).resource);
  }

  private async writeRevision(
    tx: Tx,
    ref: PolicyRef,
    change: Pick<PolicyRevision, 'action' | 'by'> & {
      spec: string | null;
      previousSpec: string | null;
      at: Date;
    },
  ): Promise<void> {
    const last = await tx.policyRevision.aggregate({
      _max: { revision: true },
      where: { kind: ref.kind, namespace: ref.namespace, name: ref.name },
    });
    await tx.policyRevision.create({
      data: { ...ref, revision: (last._max.revision ?? 0) + 1, ...change },
    });
  }
}
