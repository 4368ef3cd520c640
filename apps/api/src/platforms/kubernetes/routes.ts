/**
 * Gateway API HTTPRoutes in Kubernetes mode (GAMMA: routes whose parent is a Service).
 *
 * - HttpRouteReader parses the cached HTTPRoutes with httpRouteSchema; one we cannot use is logged (once
 *   per resourceVersion) and skipped, so it is neither compiled nor a policy target.
 * - clusterRoutes() is what validate() knows of them.
 * - HttpRouteStatusWriter writes each route's `status.parents` entries for its Service parents as a GAMMA
 *   implementation does (controllerName MESH_CONTROLLER_NAME): `Accepted` (attached, or why not) and
 *   `ResolvedRefs` (every backendRef a Service that exists, or which one is not), from the same
 *   attachRoutes() the config compiler uses. Entries of other controllers are kept; a route is written only
 *   when our entries would change, through the status subresource, with its resourceVersion as precondition.
 */
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  conditionSchema,
  GATEWAY_GROUP,
  httpRouteKey,
  httpRouteSchema,
  MESH_CONTROLLER_NAME,
  type ClusterRoute,
  type Condition,
  type HttpRoute,
} from '@weft/schema';
import { attachRoutes, type RouteParentReport, type RouteReport } from '../../config-stream/routes.ts';
import { DebouncedTask } from '../../policies/debounced-task.ts';
import { issuePath } from '../../policies/limits.ts';
import { HTTPROUTE_VERSION, type HttpRouteObject, type KubernetesCaches } from './caches.ts';

const FIELD_MANAGER = 'weft-api';
/** conditionSchema's bound on a message. */
const MAX_MESSAGE = 32_768;

/** Every Service in the caches as "namespace/name". */
export function serviceKeys(caches: KubernetesCaches): Set<string> {
  const keys = new Set<string>();
  for (const svc of caches.services.list()) {
    const namespace = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    if (namespace && name) keys.add(`${namespace}/${name}`);
  }
  return keys;
}

export class HttpRouteReader {
  readonly #caches: KubernetesCaches;
  readonly #log: (line: string) => void;
  readonly #parsed = new Map<string, { resourceVersion: string | undefined; route: HttpRoute | null }>();

  constructor(caches: KubernetesCaches, log: (line: string) => void) {
    this.#caches = caches;
    this.#log = log;
  }

  /** The cached HTTPRoutes that parse. */
  routes(): HttpRoute[] {
    const out: HttpRoute[] = [];
    const seen = new Set<string>();
    for (const object of this.#caches.httpRoutes.list()) {
      const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
      seen.add(key);
      const resourceVersion = object.metadata?.resourceVersion;
      let memo = this.#parsed.get(key);
      if (!memo || memo.resourceVersion !== resourceVersion) {
        memo = { resourceVersion, route: this.#parse(key, object) };
        this.#parsed.set(key, memo);
      }
      if (memo.route) out.push(memo.route);
    }
    for (const key of this.#parsed.keys()) if (!seen.has(key)) this.#parsed.delete(key);
    return out;
  }

  #parse(key: string, object: HttpRouteObject): HttpRoute | null {
    const parsed = httpRouteSchema.safeParse(object);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${issuePath(i.path) || '(route)'}: ${i.message}`)
      .join('; ');
    this.#log(`weft-api: HTTPRoute ${key} is skipped (Weft cannot use it): ${issues}`);
    return null;
  }
}

/** The routes as validate() sees them: those with a Service parentRef, and the Services they attach to. */
export function clusterRoutes(routes: readonly HttpRoute[], services: ReadonlySet<string>): ClusterRoute[] {
  const { reports } = attachRoutes({ routes, services });
  const byKey = new Map(reports.map((r) => [r.route, r]));
  const out: ClusterRoute[] = [];
  for (const route of routes) {
    const report = byKey.get(httpRouteKey(route));
    if (!report || report.parents.length === 0) continue;
    const rules = route.spec.rules ?? [];
    out.push({
      namespace: route.metadata.namespace,
      name: route.metadata.name,
      services: [...new Set(report.parents.filter((p) => p.attached).map((p) => p.parentRef.name))],
      ruleNames: rules.flatMap((r) => (r.name !== undefined ? [r.name] : [])),
      hasWeights: rules.some(
        (r) => (r.backendRefs ?? []).length > 1 && (r.backendRefs ?? []).some((b) => b.weight !== undefined),
      ),
    });
  }
  return out;
}

/** One `status.parents` entry of an HTTPRoute (Gateway API RouteParentStatus). */
interface ParentStatus {
  parentRef: Record<string, unknown>;
  controllerName: string;
  conditions: Condition[];
}

/** Our entries for a route, from its report; lastTransitionTime kept from `previous` where status holds. */
export function parentStatuses(
  report: RouteReport,
  previous: readonly ParentStatus[],
  nowIso: string,
): ParentStatus[] {
  const resolved = resolvedRefs(report);
  return report.parents.map((parent) => {
    const parentRef = statusParentRef(parent);
    const before = previous.find((p) => canonical(p.parentRef) === canonical(parentRef));
    const keep = (c: Omit<Condition, 'lastTransitionTime'>): Condition => {
      const old = before?.conditions.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : nowIso };
    };
    return {
      parentRef,
      controllerName: MESH_CONTROLLER_NAME,
      conditions: [
        keep({
          type: 'Accepted',
          status: parent.attached ? 'True' : 'False',
          reason: parent.reason,
          message: cap(acceptedMessage(parent, report)),
          observedGeneration: report.generation,
        }),
        keep({ ...resolved, observedGeneration: report.generation }),
      ],
    };
  });
}

function acceptedMessage(parent: RouteParentReport, report: RouteReport): string {
  if (!parent.attached || report.notApplied.length === 0) return parent.message;
  return `${parent.message}; not applied: ${report.notApplied.join('; ')}`;
}

function resolvedRefs(report: RouteReport): Omit<Condition, 'lastTransitionTime' | 'observedGeneration'> {
  const problems = report.backendProblems;
  if (problems.length === 0) {
    return {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'every backendRef is a Service that exists',
    };
  }
  return {
    type: 'ResolvedRefs',
    status: 'False',
    reason: problems.some((p) => p.reason === 'InvalidKind') ? 'InvalidKind' : 'BackendNotFound',
    message: cap(problems.map((p) => p.message).join('; ')),
  };
}

function cap(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}

/**
 * The parentRef as the spec has it, with group and kind spelled out: the CRD defaults them to a Gateway's,
 * so an entry written without them would read back different and be written again on every sync.
 */
function statusParentRef({ parentRef }: RouteParentReport): Record<string, unknown> {
  const { name, namespace, port, sectionName } = parentRef;
  return {
    group: '',
    kind: 'Service',
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(sectionName !== undefined ? { sectionName } : {}),
    ...(port !== undefined ? { port } : {}),
  };
}

/** Our entries without lastTransitionTime, for "would anything change". */
function comparable(entries: readonly ParentStatus[]): string {
  return canonical(
    entries.map((e) => ({
      parentRef: e.parentRef,
      conditions: e.conditions.map(({ lastTransitionTime: _, ...c }) => c),
    })),
  );
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Our entries as the route has them now; one that does not parse counts as absent (and is rewritten). */
function currentEntries(object: HttpRouteObject): { ours: ParentStatus[]; others: unknown[] } {
  const ours: ParentStatus[] = [];
  const others: unknown[] = [];
  for (const entry of object.status?.parents ?? []) {
    const e = entry as Partial<ParentStatus> | null;
    if (e?.controllerName !== MESH_CONTROLLER_NAME) {
      others.push(entry);
      continue;
    }
    const conditions = (e.conditions ?? []).flatMap((c) => {
      const parsed = conditionSchema.safeParse(c);
      return parsed.success ? [parsed.data] : [];
    });
    if (e.parentRef && typeof e.parentRef === 'object') ours.push({ ...e, conditions } as ParentStatus);
  }
  return { ours, others };
}

export interface RouteStatusOptions {
  log: (line: string) => void;
  now?: () => number;
  debounceMs?: number;
  maxDelayMs?: number;
}

export class HttpRouteStatusWriter {
  readonly #custom: CustomObjectsApi;
  readonly #caches: KubernetesCaches;
  readonly #reader: HttpRouteReader;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #task: DebouncedTask;
  /** The route generation whose problems were last logged, per route. */
  readonly #logged = new Map<string, number>();
  #failing = false;

  constructor(
    kc: KubeConfig,
    caches: KubernetesCaches,
    reader: HttpRouteReader,
    options: RouteStatusOptions,
  ) {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#caches = caches;
    this.#reader = reader;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#task = new DebouncedTask(() => this.sync(), {
      debounceMs: options.debounceMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      now: this.#now,
      onError: (err) => {
        if (!this.#failing) {
          this.#log(
            `weft-api: writing HTTPRoute status failed, retrying on the next change: ${(err as Error).message ?? String(err)}`,
          );
        }
        this.#failing = true;
      },
    });
  }

  /** After a cluster change: a sync soon (debounced). */
  schedule(): void {
    this.#task.schedule();
  }

  close(): void {
    this.#task.close();
  }

  /** Writes the status of every route whose entries would change. */
  async sync(): Promise<void> {
    // A Service missing from a cache that is still listing is not missing from the cluster.
    if (!this.#caches.synced()) return;
    const { reports } = attachRoutes({ routes: this.#reader.routes(), services: serviceKeys(this.#caches) });
    const nowIso = new Date(this.#now()).toISOString();
    let retry = false;
    let failure: Error | undefined;
    const present = new Set(reports.map((r) => r.route));
    for (const route of this.#logged.keys()) if (!present.has(route)) this.#logged.delete(route);
    for (const report of reports) {
      this.#logProblems(report);
      const object = this.#caches.httpRoutes.get(report.name, report.namespace);
      if (!object) continue;
      const { ours, others } = currentEntries(object);
      const desired = parentStatuses(report, ours, nowIso);
      if (comparable(desired) === comparable(ours)) continue;
      try {
        await this.#custom.patchNamespacedCustomObjectStatus(
          {
            group: GATEWAY_GROUP,
            version: HTTPROUTE_VERSION,
            namespace: report.namespace,
            plural: 'httproutes',
            name: report.name,
            // status.parents is an atomic list: the whole list, with the resourceVersion it was read at.
            body: {
              metadata: { resourceVersion: object.metadata?.resourceVersion },
              status: { parents: [...others, ...desired] },
            },
            fieldManager: FIELD_MANAGER,
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (err) {
        const code = err instanceof ApiException ? err.code : undefined;
        // Changed meanwhile (409) or deleted (404): the informer's event brings another round.
        if (code === 409) retry = true;
        else if (code !== 404) failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (retry) this.schedule();
    if (failure !== undefined) throw failure;
    if (this.#failing) this.#log('weft-api: writing HTTPRoute status works again');
    this.#failing = false;
  }

  /** What the route asks for that is not done, logged once per generation. */
  #logProblems(report: RouteReport): void {
    if (this.#logged.get(report.route) === report.generation) return;
    this.#logged.set(report.route, report.generation);
    const problems = [
      ...report.parents.filter((p) => !p.attached).map((p) => p.message),
      ...report.backendProblems.map((p) => p.message),
      ...report.notApplied,
    ];
    if (problems.length > 0) this.#log(`weft-api: ${report.route}: ${problems.join('; ')}`);
  }
}
