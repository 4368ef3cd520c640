/**
 * The storage and the API semantics behind the HTTP layer, also usable directly from tests.
 *
 * Like etcd behind the real API server: one global, increasing revision; every write gets the next revision as
 * its object's resourceVersion; an event log since the last compaction lets watches resume from a revision and
 * lists read an exact revision; anything older than the compaction point is 410 Gone ("Expired").
 * Deletes are immediate (no finalizers, no graceful deletion): a DELETED event carries the last state.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { builtinTypes, OBJECT_META_SCHEMA } from './builtins.ts';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  fieldError,
  invalid,
  KubeApiError,
  namespaceNotFound,
  notFound,
  staleUpdate,
  unsupportedMediaType,
  type ErrorTarget,
  type FieldError,
  type StatusDetails,
} from './errors.ts';
import { crdStatus, crdTypeKey, typeFromCrd } from './crds.ts';
import { clone, deepEqual, isObject, nowTimestamp, str, type Json, type JsonObject } from './json.ts';
import { recordUpdate, serverSideApply, type OwnershipContext } from './managed-fields.ts';
import { pathSegmentProblems, validateName } from './names.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PATCH_TYPES } from './patch.ts';
import {
  compareKubeVersions,
  groupVersion,
  hasStatusSubresource,
  resourceKey,
  validatorFor,
  versionInfo,
  type PrinterColumn,
  type ResourceType,
  type StrategyContext,
} from './resources.ts';
import {
  labelKeyProblem,
  labelValueProblem,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type LabelSelector,
} from './selectors.ts';
import { applyDefaults, prune, pruneObjectMeta, type Schema } from './structural.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface LoggedEvent {
  rv: number;
  typeKey: string;
  type: EventType;
  /** Storage form of the object after the event (for DELETED: the last state, with the delete's revision). */
  object: JsonObject;
  /** The object before the event (MODIFIED, DELETED). */
  prev?: JsonObject;
}

export interface WatchEvent {
  type: EventType | 'BOOKMARK' | 'ERROR';
  object: JsonObject;
}

/** Where a request points: a resource type, the version it is served in, and the namespace (if any). */
export interface RequestScope {
  type: ResourceType;
  version: string;
  /** For namespaced types: the request's namespace; undefined means all namespaces (list/watch only). */
  namespace?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Strict: unknown fields are a 400; Warn (default): dropped with a warning; Ignore: dropped silently. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** The manager name when no fieldManager is given (the real server derives it from the User-Agent). */
  defaultManager?: string;
  force?: boolean;
}

export interface WriteResult {
  object: JsonObject;
  warnings: string[];
  created: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: JsonObject[];
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface WatchSink {
  send(event: WatchEvent): void;
  /** The server ends the watch (compaction error, the type went away, shutdown). */
  end(): void;
}

export interface Watch {
  stop(): void;
  /** Sends a BOOKMARK with the current revision. */
  bookmark(): void;
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface StoreOptions {
  /** Events kept for watch resumption / exact reads before older ones are compacted away. Default 10 000. */
  historyLimit?: number;
  /** Create the namespaces and the `kubernetes` Service a fresh cluster has. Default true. */
  bootstrap?: boolean;
  /** The address the `kubernetes` EndpointSlice points at. */
  apiServerAddress?: { ip: string; port: number };
}

interface Watcher {
  typeKey: string;
  scope: RequestScope;
  label: LabelSelector;
  field: FieldSelector;
  sink: WatchSink;
  closed: boolean;
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';
const NAMESPACE_KEY = '/namespaces';
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function target(t: ResourceType): ErrorTarget {
  return { group: t.group, plural: t.plural, kind: t.kind };
}

function objKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function meta(obj: JsonObject): JsonObject {
  if (!isObject(obj.metadata)) obj.metadata = {};
  return obj.metadata;
}

function nameOf(obj: JsonObject): string {
  return isObject(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
}

function namespaceOf(obj: JsonObject): string | undefined {
  return isObject(obj.metadata) && typeof obj.metadata.namespace === 'string'
    ? obj.metadata.namespace
    : undefined;
}

function labelsOf(obj: JsonObject): Record<string, string> {
  const labels = isObject(obj.metadata) ? obj.metadata.labels : undefined;
  return isObject(labels) ? (labels as Record<string, string>) : {};
}

/** Evaluates a simple JSONPath (`.spec.a.b`, `.status.conditions[0].type`) as printer columns use it. */
export function simpleJsonPath(obj: Json, path: string): Json | undefined {
  const cleaned = path.replace(/^\{?\.?/, '').replace(/\}$/, '');
  if (cleaned === '') return obj;
  let current: Json | undefined = obj;
  for (const part of cleaned.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1]) current = isObject(current) ? current[m[1]] : undefined;
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) {
      current = Array.isArray(current) ? current[Number(idx[1])] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

export class KubeStore {
  private revision = 0;
  private compactedRevision = 0;
  private readonly historyLimit: number;
  private readonly types = new Map<string, ResourceType>();
  private readonly builtinKeys = new Set<string>();
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  private log: LoggedEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly revisionWaiters = new Set<() => void>();

  constructor(options: StoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
    for (const t of builtinTypes()) {
      this.types.set(resourceKey(t), t);
      this.builtinKeys.add(resourceKey(t));
    }
    if (options.bootstrap !== false)
      this.bootstrap(options.apiServerAddress ?? { ip: '127.0.0.1', port: 6443 });
  }

  // -------------------------------------------------------------------------------------------------------
  // Revisions, compaction

  /** The current global revision (the resourceVersion of the latest write). */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest revision a watch may resume from or a list may read exactly. */
  get compactedResourceVersion(): number {
    return this.compactedRevision;
  }

  /** Forgets history up to `revision` (default: now), as etcd compaction does: older revisions answer 410. */
  compact(revision = this.revision): void {
    const upTo = Math.min(revision, this.revision);
    if (upTo <= this.compactedRevision) return;
    this.compactedRevision = upTo;
    this.log = this.log.filter((e) => e.rv > upTo);
  }

  // -------------------------------------------------------------------------------------------------------
  // Types and discovery

  servedTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  /** The type for `/apis/<group>/<version>/<plural>`, if served in that version. */
  resolve(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.types.get(`${group}/${plural}`);
    return t && versionInfo(t, version) ? t : undefined;
  }

  /** The type for an apiVersion + kind, if served. */
  resolveKind(apiVersion: string, kind: string): { type: ResourceType; version: string } | undefined {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    for (const t of this.types.values()) {
      if (t.group === group && t.kind === kind && versionInfo(t, version)) return { type: t, version };
    }
    return undefined;
  }

  /** Group → served versions (most preferred first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.types.values()) {
      const versions = out.get(t.group) ?? [];
      for (const v of t.versions) if (!versions.includes(v.name)) versions.push(v.name);
      out.set(t.group, versions);
    }
    for (const [group, versions] of out) out.set(group, versions.sort(compareKubeVersions));
    return out;
  }

  printerColumns(t: ResourceType, version: string): PrinterColumn[] | undefined {
    return versionInfo(t, version)?.printerColumns;
  }

  private strategyContext(): StrategyContext {
    return {
      usedClusterIPs: () => {
        const used = new Set<string>();
        for (const svc of this.bucket('/services').values()) {
          const spec = isObject(svc.spec) ? svc.spec : {};
          if (typeof spec.clusterIP === 'string') used.add(spec.clusterIP);
        }
        return used;
      },
      usedNodePorts: () => {
        const used = new Set<number>();
        for (const svc of this.bucket('/services').values()) {
          const ports = isObject(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : [];
          for (const p of ports) if (isObject(p) && typeof p.nodePort === 'number') used.add(p.nodePort);
        }
        return used;
      },
    };
  }

  private bucket(typeKey: string): Map<string, JsonObject> {
    let b = this.objects.get(typeKey);
    if (!b) {
      b = new Map();
      this.objects.set(typeKey, b);
    }
    return b;
  }

  // -------------------------------------------------------------------------------------------------------
  // Reads

  /** The object as served in `version`: apiVersion and kind set (CRD conversion strategy None). */
  private present(t: ResourceType, version: string, stored: JsonObject): JsonObject {
    const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = clone(stored);
    return { apiVersion: groupVersion(t.group, version), kind: t.kind, metadata: metadata ?? {}, ...rest };
  }

  get(scope: RequestScope, name: string): JsonObject {
    const stored = this.bucket(resourceKey(scope.type)).get(objKey(this.nsFor(scope), name));
    if (!stored) throw notFound(target(scope.type), name);
    return this.present(scope.type, scope.version, stored);
  }

  private nsFor(scope: RequestScope): string | undefined {
    return scope.type.namespaced ? scope.namespace : undefined;
  }

  private supportedFieldLabels(t: ResourceType, version: string): Set<string> {
    const labels = new Set(['metadata.name']);
    if (t.namespaced) labels.add('metadata.namespace');
    for (const key of Object.keys(t.strategy.fieldAttrs?.({}) ?? {})) labels.add(key);
    for (const path of versionInfo(t, version)?.selectableFields ?? []) labels.add(path.replace(/^\./, ''));
    return labels;
  }

  private fieldAttrs(t: ResourceType, version: string, obj: JsonObject): Record<string, string> {
    const attrs: Record<string, string> = { 'metadata.name': nameOf(obj) };
    if (t.namespaced) attrs['metadata.namespace'] = namespaceOf(obj) ?? '';
    Object.assign(attrs, t.strategy.fieldAttrs?.(obj) ?? {});
    for (const path of versionInfo(t, version)?.selectableFields ?? []) {
      const value = simpleJsonPath(obj, path);
      attrs[path.replace(/^\./, '')] = value === undefined || value === null ? '' : str(value);
    }
    return attrs;
  }

  private matcher(
    scope: RequestScope,
    labelSelector?: string,
    fieldSelector?: string,
  ): (obj: JsonObject) => boolean {
    const label = parseLabelSelector(labelSelector);
    const field = parseFieldSelector(fieldSelector, this.supportedFieldLabels(scope.type, scope.version));
    const ns = this.nsFor(scope);
    return (obj) =>
      (ns === undefined || namespaceOf(obj) === ns) &&
      label.matches(labelsOf(obj)) &&
      field.matches(this.fieldAttrs(scope.type, scope.version, obj));
  }

  /** The type's objects as of `revision` (must not be compacted), from the current state and the event log. */
  private stateAt(typeKey: string, revision: number): Map<string, JsonObject> {
    const state = new Map(this.bucket(typeKey));
    for (let i = this.log.length - 1; i >= 0; i--) {
      const e = this.log[i]!;
      if (e.rv <= revision) break;
      if (e.typeKey !== typeKey) continue;
      const key = objKey(namespaceOf(e.object), nameOf(e.object));
      if (e.type === 'ADDED') state.delete(key);
      else if (e.prev) state.set(key, e.prev);
    }
    return state;
  }

  private async waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.revision < revision) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 100));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.revisionWaiters.add(done);
      });
    }
    return true;
  }

  private tooLargeResourceVersion(revision: number): KubeApiError {
    return new KubeApiError(
      504,
      'Timeout',
      `Too large resource version: ${revision}, current: ${this.revision}`,
      {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      },
    );
  }

  async list(scope: RequestScope, options: ListOptions = {}): Promise<ListResult> {
    const t = scope.type;
    const typeKey = resourceKey(t);
    const matches = this.matcher(scope, options.labelSelector, options.fieldSelector);
    let snapshot = this.revision;
    let start = '';
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv < this.compactedRevision) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      snapshot = token.rv;
      start = token.start;
    } else if (options.resourceVersion && options.resourceVersion !== '0') {
      const requested = parseRevision(options.resourceVersion);
      if (options.resourceVersionMatch === 'Exact') {
        if (requested < this.compactedRevision)
          throw expired('The resourceVersion for the provided list is too old.');
        if (requested > this.revision && !(await this.waitForRevision(requested, 3000)))
          throw this.tooLargeResourceVersion(requested);
        snapshot = requested;
      } else if (requested > this.revision && !(await this.waitForRevision(requested, 3000))) {
        throw this.tooLargeResourceVersion(requested);
      } else snapshot = this.revision;
    } else if (options.resourceVersionMatch && !options.resourceVersion) {
      throw invalid({ group: 'meta.k8s.io', plural: 'listoptions', kind: 'ListOptions' }, '', [
        fieldError.forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
      ]);
    }
    const state = snapshot === this.revision ? this.bucket(typeKey) : this.stateAt(typeKey, snapshot);
    const keys = [...state.keys()].sort();
    const selected: JsonObject[] = [];
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    let lastKey = '';
    let more = 0;
    for (const key of keys) {
      if (start && key <= start) continue;
      const obj = state.get(key)!;
      if (!matches(obj)) continue;
      if (selected.length >= limit) {
        more++;
        continue;
      }
      selected.push(obj);
      lastKey = key;
    }
    const result: ListResult = {
      kind: t.listKind,
      apiVersion: groupVersion(t.group, scope.version),
      metadata: { resourceVersion: String(snapshot) },
      items: selected.map((obj) => {
        const item = this.present(t, scope.version, obj);
        // Typed lists of built-in types carry no apiVersion/kind on their items; custom resource lists do.
        if (!t.isCustom) {
          delete item.apiVersion;
          delete item.kind;
        }
        return item;
      }),
    };
    if (more > 0) {
      result.metadata.continue = encodeContinue(snapshot, lastKey);
      if (!options.labelSelector && !options.fieldSelector) result.metadata.remainingItemCount = more;
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------------------
  // Watch

  watch(scope: RequestScope, options: WatchOptions, sink: WatchSink): Watch {
    const t = scope.type;
    const typeKey = resourceKey(t);
    const watcher: Watcher = {
      typeKey,
      scope,
      label: parseLabelSelector(options.labelSelector),
      field: parseFieldSelector(options.fieldSelector, this.supportedFieldLabels(t, scope.version)),
      sink,
      closed: false,
    };
    const handle: Watch = {
      stop: () => {
        watcher.closed = true;
        this.watchers.delete(watcher);
      },
      bookmark: () => {
        if (!watcher.closed) sink.send({ type: 'BOOKMARK', object: this.bookmarkObject(t, scope.version) });
      },
    };
    const rv = options.resourceVersion ?? '';
    const initial = options.sendInitialEvents === true || rv === '' || rv === '0';
    if (options.sendInitialEvents === true && options.resourceVersionMatch !== 'NotOlderThan') {
      throw invalid({ group: 'meta.k8s.io', plural: 'listoptions', kind: 'ListOptions' }, '', [
        fieldError.forbidden(
          'resourceVersionMatch',
          'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        ),
      ]);
    }
    if (initial) {
      for (const key of [...this.bucket(typeKey).keys()].sort()) {
        const obj = this.bucket(typeKey).get(key)!;
        if (this.watcherMatches(watcher, obj))
          sink.send({ type: 'ADDED', object: this.present(t, scope.version, obj) });
      }
      if (options.sendInitialEvents === true) {
        const bookmark = this.bookmarkObject(t, scope.version);
        (bookmark.metadata as JsonObject).annotations = { 'k8s.io/initial-events-end': 'true' };
        sink.send({ type: 'BOOKMARK', object: bookmark });
      }
    } else {
      const from = parseRevision(rv);
      if (from < this.compactedRevision) {
        sink.send({
          type: 'ERROR',
          object: expired(
            `too old resource version: ${from} (${this.compactedRevision})`,
          ).toStatus() as unknown as JsonObject,
        });
        sink.end();
        watcher.closed = true;
        return handle;
      }
      for (const e of this.log) {
        if (e.rv > from && e.typeKey === typeKey) this.deliver(watcher, e);
      }
    }
    this.watchers.add(watcher);
    return handle;
  }

  private bookmarkObject(t: ResourceType, version: string): JsonObject {
    return {
      kind: t.kind,
      apiVersion: groupVersion(t.group, version),
      metadata: { resourceVersion: String(this.revision) },
    };
  }

  private watcherMatches(w: Watcher, obj: JsonObject): boolean {
    const ns = this.nsFor(w.scope);
    return (
      (ns === undefined || namespaceOf(obj) === ns) &&
      w.label.matches(labelsOf(obj)) &&
      w.field.matches(this.fieldAttrs(w.scope.type, w.scope.version, obj))
    );
  }

  private deliver(w: Watcher, e: LoggedEvent): void {
    if (w.closed) return;
    const now = this.watcherMatches(w, e.object);
    const before = e.prev ? this.watcherMatches(w, e.prev) : false;
    let type: EventType | undefined;
    if (e.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (e.type === 'DELETED') type = before || now ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) w.sink.send({ type, object: this.present(w.scope.type, w.scope.version, e.object) });
  }

  /** Open watches (tests wait for an informer's watch to be established). */
  get activeWatches(): number {
    return this.watchers.size;
  }

  /** Ends every open watch, as an API server restart or a dropped connection would; clients re-watch. */
  endAllWatches(): void {
    for (const w of [...this.watchers]) this.endWatcher(w);
  }

  private endWatcher(w: Watcher): void {
    w.closed = true;
    this.watchers.delete(w);
    w.sink.end();
  }

  // -------------------------------------------------------------------------------------------------------
  // Commit

  private commit(t: ResourceType, type: EventType, obj: JsonObject, prev?: JsonObject): JsonObject {
    this.revision++;
    const typeKey = resourceKey(t);
    const stored = clone(obj);
    const m = meta(stored);
    m.resourceVersion = String(this.revision);
    const key = objKey(t.namespaced ? namespaceOf(stored) : undefined, nameOf(stored));
    if (type === 'DELETED') this.bucket(typeKey).delete(key);
    else this.bucket(typeKey).set(key, stored);
    const event: LoggedEvent = { rv: this.revision, typeKey, type, object: stored };
    if (prev) event.prev = prev;
    this.log.push(event);
    if (this.log.length > this.historyLimit)
      this.compact(this.log[this.log.length - this.historyLimit - 1]!.rv);
    for (const w of [...this.watchers]) if (w.typeKey === typeKey) this.deliver(w, event);
    for (const wake of [...this.revisionWaiters]) {
      this.revisionWaiters.delete(wake);
      wake();
    }
    return stored;
  }

  // -------------------------------------------------------------------------------------------------------
  // Writes

  private checkBodyType(scope: RequestScope, body: Json): JsonObject {
    if (!isObject(body)) throw badRequest('the body of the request must be a JSON object');
    const t = scope.type;
    const expected = groupVersion(t.group, scope.version);
    if (t.isCustom && (typeof body.kind !== 'string' || body.kind === '')) {
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== '' && body.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${str(body.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (body.kind !== undefined && body.kind !== '' && body.kind !== t.kind) {
      throw badRequest(
        `the kind in the data (${str(body.kind)}) does not match the expected kind (${t.kind})`,
      );
    }
    return body;
  }

  private schemaFor(t: ResourceType, version: string): Schema | undefined {
    return versionInfo(t, version)?.schema;
  }

  private ownershipSchema(t: ResourceType, version: string): Schema | undefined {
    const schema = this.schemaFor(t, version);
    if (!schema) return undefined;
    if (schema.properties?.metadata?.properties?.labels) return schema;
    return { ...schema, properties: { ...schema.properties, metadata: OBJECT_META_SCHEMA } };
  }

  /** Pruning, defaulting and the unknown-field policy; returns warnings. */
  private normalize(
    scope: RequestScope,
    obj: JsonObject,
    options: WriteOptions,
  ): { obj: JsonObject; warnings: string[] } {
    const t = scope.type;
    const schema = this.schemaFor(t, scope.version);
    const { value, pruned } = prune(obj, t.isCustom ? schema : undefined, true);
    let result = value as JsonObject;
    if (!t.isCustom) {
      // Built-ins decode metadata into ObjectMeta too.
      const metaPruned: string[] = [];
      result = { ...result, metadata: pruneObjectMeta(result.metadata, ['metadata'], metaPruned) };
      pruned.push(...metaPruned);
    }
    const warnings: string[] = [];
    if (pruned.length > 0) {
      const mode = options.fieldValidation ?? 'Warn';
      if (mode === 'Strict') throw this.strictDecodingError(t, scope.version, pruned);
      if (mode === 'Warn') warnings.push(...pruned.map((p) => `unknown field "${p}"`));
    }
    if (t.isCustom && schema) result = applyDefaults(result, schema) as JsonObject;
    return { obj: result, warnings };
  }

  private strictDecodingError(t: ResourceType, version: string, unknown: string[]): KubeApiError {
    return badRequest(
      `${t.kind} in version "${version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown
        .map((p) => `unknown field "${p}"`)
        .join(', ')}`,
    );
  }

  private validateMetadata(t: ResourceType, obj: JsonObject, creating: boolean): FieldError[] {
    const errors: FieldError[] = [];
    const m = meta(obj);
    const name = typeof m.name === 'string' ? m.name : '';
    if (name === '') {
      errors.push(fieldError.required('metadata.name', 'name or generateName is required'));
    } else {
      errors.push(
        ...validateName(t.nameRule, 'metadata.name', name),
        ...pathSegmentProblems('metadata.name', name),
      );
    }
    if (t.namespaced && creating && typeof m.namespace === 'string' && m.namespace !== '') {
      errors.push(...validateName('label', 'metadata.namespace', m.namespace));
    }
    if (isObject(m.labels)) {
      for (const [key, value] of Object.entries(m.labels)) {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) errors.push(fieldError.invalid('metadata.labels', key, keyProblem));
        if (typeof value !== 'string')
          errors.push(fieldError.invalid(`metadata.labels`, value, 'label values must be strings'));
        else {
          const valueProblem = labelValueProblem(value);
          if (valueProblem) errors.push(fieldError.invalid(`metadata.labels`, value, valueProblem));
        }
      }
    } else if (m.labels !== undefined && m.labels !== null) {
      errors.push(fieldError.invalid('metadata.labels', m.labels, 'must be a map of strings'));
    }
    if (isObject(m.annotations)) {
      let size = 0;
      for (const [key, value] of Object.entries(m.annotations)) {
        const keyProblem = labelKeyProblem(key.toLowerCase());
        if (keyProblem) errors.push(fieldError.invalid('metadata.annotations', key, keyProblem));
        if (typeof value !== 'string')
          errors.push(fieldError.invalid(`metadata.annotations`, value, 'annotation values must be strings'));
        size += key.length + str(value).length;
      }
      if (size > 256 * 1024) errors.push(fieldError.tooLong('metadata.annotations', 256 * 1024));
    }
    if (Array.isArray(m.ownerReferences)) {
      m.ownerReferences.forEach((ref, i) => {
        const r = isObject(ref) ? ref : {};
        for (const field of ['apiVersion', 'kind', 'name', 'uid']) {
          if (typeof r[field] !== 'string' || r[field] === '')
            errors.push(fieldError.required(`metadata.ownerReferences[${i}].${field}`));
        }
      });
    }
    if (Array.isArray(m.finalizers)) {
      m.finalizers.forEach((f, i) => {
        if (typeof f !== 'string' || labelKeyProblem(f)) {
          errors.push(
            fieldError.invalid(
              `metadata.finalizers[${i}]`,
              f,
              'name part must consist of alphanumeric characters',
            ),
          );
        }
      });
    }
    return errors;
  }

  private typeErrorsAsBadRequest(t: ResourceType, version: string, obj: JsonObject): void {
    const schema = this.schemaFor(t, version);
    if (!schema || t.isCustom) return;
    const { metadata: _metadata, ...rest } = obj;
    const errors = validatorFor(schema).validate(rest);
    const first = errors[0];
    if (first) {
      const m = /must be of type ([\w,]+): "(\w+)"/.exec(first.message);
      const detail = m
        ? `json: cannot unmarshal ${m[2]} into Go struct field ${t.kind}.${first.field} of type ${m[1]}`
        : `${first.field}: ${first.message}`;
      throw badRequest(`${t.kind} in version "${version}" cannot be handled as a ${t.kind}: ${detail}`);
    }
  }

  private validateObject(scope: RequestScope, obj: JsonObject, old: JsonObject | undefined): void {
    const t = scope.type;
    this.typeErrorsAsBadRequest(t, scope.version, obj);
    const errors = this.validateMetadata(t, obj, old === undefined);
    const schema = this.schemaFor(t, scope.version);
    if (t.isCustom && schema) {
      const { metadata: _metadata, ...rest } = obj;
      errors.push(...validatorFor(schema).validate({ ...rest, metadata: {} }));
    }
    errors.push(...(t.strategy.validate?.(obj) ?? []));
    if (old) errors.push(...(t.strategy.validateUpdate?.(obj, old) ?? []));
    if (errors.length > 0) throw invalid(target(t), nameOf(obj), errors);
  }

  private requireNamespace(scope: RequestScope): string | undefined {
    if (!scope.type.namespaced) return undefined;
    if (scope.namespace === undefined || scope.namespace === '') {
      throw badRequest('the server could not find the requested resource (namespace required)');
    }
    return scope.namespace;
  }

  private managerName(options: WriteOptions): string {
    const manager = options.fieldManager ?? options.defaultManager ?? 'unknown';
    if (manager.length > 128) {
      throw invalid({ group: 'meta.k8s.io', plural: 'patchoptions', kind: 'PatchOptions' }, '', [
        fieldError.tooLong('fieldManager', 128),
      ]);
    }
    return manager;
  }

  private ownershipContext(
    scope: RequestScope,
    manager: string,
    subresource: 'status' | undefined,
  ): OwnershipContext {
    return {
      schema: this.ownershipSchema(scope.type, scope.version),
      statusSubresource: hasStatusSubresource(scope.type, scope.version),
      subresource,
      apiVersion: groupVersion(scope.type.group, scope.version),
      manager,
    };
  }

  create(scope: RequestScope, body: Json, options: WriteOptions = {}): WriteResult {
    return this.createInternal(scope, body, options, undefined);
  }

  private createInternal(
    scope: RequestScope,
    body: Json,
    options: WriteOptions,
    finishOwnership: ((stored: JsonObject) => void) | undefined,
  ): WriteResult {
    const t = scope.type;
    const input = clone(this.checkBodyType(scope, body));
    const namespace = this.requireNamespace(scope);
    // The NamespaceLifecycle admission plugin answers before validation.
    if (namespace !== undefined && !this.bucket(NAMESPACE_KEY).has(objKey(undefined, namespace))) {
      throw namespaceNotFound(namespace);
    }
    const m = meta(input);
    if (t.namespaced) {
      if (typeof m.namespace === 'string' && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      m.namespace = namespace;
    } else delete m.namespace;
    if (typeof m.resourceVersion === 'string' && m.resourceVersion !== '') {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    if (
      (typeof m.name !== 'string' || m.name === '') &&
      typeof m.generateName === 'string' &&
      m.generateName !== ''
    ) {
      let suffix = '';
      for (let i = 0; i < 5; i++)
        suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
      m.name = `${m.generateName.slice(0, 58)}${suffix}`;
    }
    const normalized = this.normalize(scope, input, options);
    const obj = normalized.obj;
    obj.apiVersion = groupVersion(t.group, scope.version);
    obj.kind = t.kind;
    const om = meta(obj);
    om.uid = randomUUID();
    om.creationTimestamp = nowTimestamp();
    for (const field of [
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
      'generation',
      'managedFields',
    ])
      delete om[field];
    if (t.generation !== 'none') om.generation = 1;
    if (hasStatusSubresource(t, scope.version) && t.isCustom) delete obj.status;
    t.strategy.prepareForCreate?.(obj, this.strategyContext());
    this.validateObject(scope, obj, undefined);
    const name = nameOf(obj);
    if (this.bucket(resourceKey(t)).has(objKey(namespace, name))) throw alreadyExists(target(t), name);
    if (resourceKey(t) === CRD_KEY) this.prepareCrd(obj, undefined);
    if (finishOwnership) finishOwnership(obj);
    else recordUpdate(undefined, obj, this.ownershipContext(scope, this.managerName(options), undefined));
    if (options.dryRun)
      return { object: this.present(t, scope.version, obj), warnings: normalized.warnings, created: true };
    const stored = this.commit(t, 'ADDED', obj);
    if (resourceKey(t) === CRD_KEY) this.registerCrd(stored);
    return { object: this.present(t, scope.version, stored), warnings: normalized.warnings, created: true };
  }

  update(
    scope: RequestScope,
    name: string,
    body: Json,
    options: WriteOptions = {},
    subresource?: 'status',
  ): WriteResult {
    const input = this.checkBodyType(scope, body);
    return this.updateInternal(scope, name, clone(input), options, subresource, undefined);
  }

  private updateInternal(
    scope: RequestScope,
    name: string,
    input: JsonObject,
    options: WriteOptions,
    subresource: 'status' | undefined,
    finishOwnership: ((stored: JsonObject) => void) | undefined,
  ): WriteResult {
    const t = scope.type;
    const namespace = this.requireNamespace(scope);
    const m = meta(input);
    if (typeof m.name === 'string' && m.name !== '' && m.name !== name) {
      throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    }
    if (t.namespaced && typeof m.namespace === 'string' && m.namespace !== '' && m.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const typeKey = resourceKey(t);
    const current = this.bucket(typeKey).get(objKey(namespace, name));
    if (!current) throw notFound(target(t), name);
    const requestedRv = typeof m.resourceVersion === 'string' ? m.resourceVersion : '';
    if (requestedRv !== '' && requestedRv !== meta(current).resourceVersion)
      throw staleUpdate(target(t), name);
    if (requestedRv === '' && !t.allowUnconditionalUpdate) {
      throw invalid(target(t), name, [
        {
          field: 'metadata.resourceVersion',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }

    // Clients may rewrite managedFields (kubectl does when moving from client-side to server-side apply);
    // an empty list resets them. Absent: the stored ones carry over.
    const requestedManagedFields = meta(input).managedFields;
    const normalized = this.normalize(scope, input, options);
    let obj = normalized.obj;
    const statusEnabled = hasStatusSubresource(t, scope.version);
    if (subresource === 'status') {
      // The status endpoint changes status only.
      const next = clone(current);
      if (obj.status !== undefined) next.status = obj.status;
      else delete next.status;
      obj = next;
    } else {
      const cm = meta(current);
      const om = meta(obj);
      for (const field of [
        'uid',
        'creationTimestamp',
        'generation',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
      ]) {
        if (cm[field] === undefined) delete om[field];
        else om[field] = clone(cm[field]);
      }
      om.name = name;
      if (t.namespaced) om.namespace = namespace;
      else delete om.namespace;
      if (statusEnabled) {
        if (current.status !== undefined) obj.status = clone(current.status);
        else delete obj.status;
      }
    }
    meta(obj).managedFields = clone(
      Array.isArray(requestedManagedFields) && !finishOwnership
        ? requestedManagedFields
        : meta(current).managedFields,
    );
    obj.apiVersion = groupVersion(t.group, scope.version);
    obj.kind = t.kind;
    if (subresource !== 'status') t.strategy.prepareForUpdate?.(obj, current, this.strategyContext());
    // The status endpoint never changes the generation.
    if (subresource !== 'status') this.bumpGeneration(t, obj, current);
    this.validateObject(scope, obj, current);
    if (typeKey === CRD_KEY) this.prepareCrd(obj, current);

    if (finishOwnership) finishOwnership(obj);
    else recordUpdate(current, obj, this.ownershipContext(scope, this.managerName(options), subresource));

    const comparable = (o: JsonObject) => {
      const copy = clone(o);
      const cm = meta(copy);
      delete cm.resourceVersion;
      // Only timestamps changing in managedFields is no change.
      if (Array.isArray(cm.managedFields)) {
        for (const entry of cm.managedFields) if (isObject(entry)) delete entry.time;
      }
      delete copy.apiVersion;
      return copy;
    };
    if (deepEqual(comparable(obj), comparable(current))) {
      // A no-op update writes nothing: same resourceVersion, no event.
      return {
        object: this.present(t, scope.version, current),
        warnings: normalized.warnings,
        created: false,
      };
    }
    if (options.dryRun)
      return { object: this.present(t, scope.version, obj), warnings: normalized.warnings, created: false };
    const stored = this.commit(t, 'MODIFIED', obj, current);
    if (typeKey === CRD_KEY) this.registerCrd(stored);
    return { object: this.present(t, scope.version, stored), warnings: normalized.warnings, created: false };
  }

  private bumpGeneration(t: ResourceType, obj: JsonObject, old: JsonObject): void {
    const oldGeneration = typeof meta(old).generation === 'number' ? (meta(old).generation as number) : 1;
    let changed = false;
    switch (t.generation) {
      case 'none':
        return;
      case 'spec':
        changed = !deepEqual(obj.spec, old.spec);
        break;
      case 'specOrAnnotations':
        changed =
          !deepEqual(obj.spec, old.spec) ||
          !deepEqual(meta(obj).annotations ?? {}, meta(old).annotations ?? {});
        break;
      case 'nonMetadata': {
        const strip = (o: JsonObject) => {
          const { metadata: _m, apiVersion: _a, ...rest } = o;
          return rest;
        };
        changed = !deepEqual(strip(obj), strip(old));
        break;
      }
    }
    meta(obj).generation = changed ? oldGeneration + 1 : oldGeneration;
  }

  patch(
    scope: RequestScope,
    name: string,
    contentType: string,
    body: string,
    options: WriteOptions = {},
    subresource?: 'status',
  ): WriteResult {
    const t = scope.type;
    const patchType = contentType.split(';')[0]!.trim().toLowerCase();
    const accepted = t.isCustom
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
    if (!(accepted as string[]).includes(patchType)) throw unsupportedMediaType(patchType, accepted);

    if (patchType === PATCH_TYPES.apply) return this.applyPatch(scope, name, body, options, subresource);
    if (options.force !== undefined) {
      throw invalid({ group: 'meta.k8s.io', plural: 'patchoptions', kind: 'PatchOptions' }, '', [
        fieldError.forbidden('force', 'may not be specified for non-apply patch'),
      ]);
    }
    let patchDoc: Json;
    try {
      patchDoc = JSON.parse(body) as Json;
    } catch (err) {
      throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
    }
    const namespace = this.requireNamespace(scope);
    const current = this.bucket(resourceKey(t)).get(objKey(namespace, name));
    if (!current) throw notFound(target(t), name);
    const base = this.present(t, scope.version, current);
    let patched: JsonObject;
    if (patchType === PATCH_TYPES.json) patched = applyJsonPatch(base, patchDoc);
    else if (patchType === PATCH_TYPES.merge) patched = applyMergePatch(base, patchDoc);
    else patched = applyStrategicMergePatch(base, patchDoc, this.ownershipSchema(t, scope.version));
    // A patch cannot change the name; resourceVersion in the patch is a precondition.
    this.checkBodyType(scope, patched);
    return this.updateInternal(scope, name, patched, options, subresource, undefined);
  }

  private applyPatch(
    scope: RequestScope,
    name: string,
    body: string,
    options: WriteOptions,
    subresource: 'status' | undefined,
  ): WriteResult {
    const t = scope.type;
    if (!options.fieldManager) {
      throw invalid({ group: 'meta.k8s.io', plural: 'patchoptions', kind: 'PatchOptions' }, '', [
        fieldError.required('fieldManager', 'is required for apply patch'),
      ]);
    }
    let applied: Json;
    try {
      applied = parseYaml(body) as Json;
    } catch (err) {
      throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!isObject(applied)) throw badRequest('the apply configuration must be an object');
    if (
      typeof applied.apiVersion !== 'string' ||
      applied.apiVersion === '' ||
      typeof applied.kind !== 'string' ||
      applied.kind === ''
    ) {
      throw badRequest('invalid object type: apiVersion and kind must be set in an apply configuration');
    }
    this.checkBodyType(scope, applied);
    const m = meta(applied);
    if (typeof m.name === 'string' && m.name !== '' && m.name !== name) {
      throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    }
    m.name = name;
    const namespace = this.requireNamespace(scope);
    if (t.namespaced) {
      if (typeof m.namespace === 'string' && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      m.namespace = namespace;
    }
    // Pruned like any other write, so that ownership is tracked on fields that exist.
    const prunedApplied = this.normalizeApplied(scope, applied, options);
    const ctx = this.ownershipContext(scope, options.fieldManager, subresource);
    const current = this.bucket(resourceKey(t)).get(objKey(namespace, name));
    const requestedRv = typeof m.resourceVersion === 'string' ? m.resourceVersion : '';
    if (!current) {
      if (subresource === 'status') throw notFound(target(t), name);
      const result = serverSideApply(undefined, prunedApplied.obj, ctx, options.force === true);
      const created = this.createInternal(
        scope,
        result.object,
        { ...options, fieldValidation: 'Ignore' },
        result.finish,
      );
      return { ...created, warnings: prunedApplied.warnings };
    }
    if (requestedRv !== '' && requestedRv !== meta(current).resourceVersion)
      throw staleUpdate(target(t), name);
    const live = this.present(t, scope.version, current);
    const result = serverSideApply(live, prunedApplied.obj, ctx, options.force === true);
    const merged = result.object;
    meta(merged).resourceVersion = meta(current).resourceVersion;
    const updated = this.updateInternal(
      scope,
      name,
      merged,
      { ...options, fieldValidation: 'Ignore' },
      subresource,
      result.finish,
    );
    return { ...updated, warnings: prunedApplied.warnings };
  }

  private normalizeApplied(
    scope: RequestScope,
    applied: JsonObject,
    options: WriteOptions,
  ): { obj: JsonObject; warnings: string[] } {
    const t = scope.type;
    const schema = this.schemaFor(t, scope.version);
    const { value, pruned } = prune(applied, t.isCustom ? schema : undefined, true);
    const warnings: string[] = [];
    if (pruned.length > 0) {
      const mode = options.fieldValidation ?? 'Warn';
      if (mode === 'Strict') throw this.strictDecodingError(t, scope.version, pruned);
      if (mode === 'Warn') warnings.push(...pruned.map((p) => `unknown field "${p}"`));
    }
    const obj = value as JsonObject;
    const m = meta(obj);
    for (const field of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'generation',
      'managedFields',
      'selfLink',
    ])
      delete m[field];
    return { obj, warnings };
  }

  delete(
    scope: RequestScope,
    name: string,
    options: DeleteOptions = {},
  ): { object: JsonObject; returnObject: boolean } {
    const t = scope.type;
    const namespace = this.requireNamespace(scope);
    const typeKey = resourceKey(t);
    const current = this.bucket(typeKey).get(objKey(namespace, name));
    if (!current) throw notFound(target(t), name);
    if (t.strategy.undeletable?.includes(name)) {
      throw new KubeApiError(
        403,
        'Forbidden',
        `${t.group ? `${t.plural}.${t.group}` : t.plural} "${name}" is forbidden: this namespace may not be deleted`,
        {
          name,
          group: t.group,
          kind: t.plural,
        },
      );
    }
    const cm = meta(current);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== cm.uid) {
      throw conflict(
        target(t),
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${str(cm.uid)}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cm.resourceVersion) {
      throw conflict(
        target(t),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${str(cm.resourceVersion)}`,
      );
    }
    if (options.dryRun)
      return {
        object: this.present(t, scope.version, current),
        returnObject: t.strategy.deleteReturnsObject === true,
      };
    if (typeKey === NAMESPACE_KEY) this.deleteNamespaceContents(name);
    if (typeKey === CRD_KEY) this.deleteCrdInstances(current);
    const stored = this.commit(t, 'DELETED', current, current);
    if (typeKey === CRD_KEY) this.unregisterCrd(current);
    return {
      object: this.present(t, scope.version, stored),
      returnObject: t.strategy.deleteReturnsObject === true,
    };
  }

  async deleteCollection(scope: RequestScope, options: ListOptions & DeleteOptions): Promise<ListResult> {
    const listed = await this.list(scope, { ...options, limit: 0 });
    const deleted: JsonObject[] = [];
    for (const item of listed.items) {
      const ns = namespaceOf(item);
      const itemScope: RequestScope = ns === undefined ? scope : { ...scope, namespace: ns };
      try {
        deleted.push(this.delete(itemScope, nameOf(item), options.dryRun ? { dryRun: true } : {}).object);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      }
    }
    return { ...listed, metadata: { resourceVersion: String(this.revision) }, items: deleted };
  }

  deleteStatus(t: ResourceType, obj: JsonObject): JsonObject {
    const details: StatusDetails = {
      name: nameOf(obj),
      group: t.group,
      kind: t.plural,
      uid: str(meta(obj).uid ?? ''),
    };
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details,
    } as unknown as JsonObject;
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const t of this.types.values()) {
      if (!t.namespaced) continue;
      const bucket = this.bucket(resourceKey(t));
      for (const [key, obj] of [...bucket.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (namespaceOf(obj) === namespace && bucket.has(key)) this.commit(t, 'DELETED', obj, obj);
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // CustomResourceDefinitions

  /** Sets the status the CRD controllers would (names accepted, established, stored versions). */
  private prepareCrd(crd: JsonObject, old: JsonObject | undefined): void {
    crd.status = crdStatus(crd, old, this.builtinKeys.has(crdTypeKey(crd)));
  }

  private registerCrd(crd: JsonObject): void {
    const typeKey = crdTypeKey(crd);
    if (this.builtinKeys.has(typeKey)) return;
    const t = typeFromCrd(crd);
    if (!t) {
      this.unregisterCrd(crd);
      return;
    }
    const existed = this.types.has(typeKey);
    this.types.set(typeKey, t);
    // Watches on versions no longer served end, as the real server ends them when a CRD changes.
    if (existed) {
      for (const w of [...this.watchers]) {
        if (w.typeKey === typeKey && !versionInfo(t, w.scope.version)) this.endWatcher(w);
        else if (w.typeKey === typeKey) w.scope = { ...w.scope, type: t };
      }
    }
  }

  private deleteCrdInstances(crd: JsonObject): void {
    const typeKey = crdTypeKey(crd);
    const t = this.types.get(typeKey);
    if (!t || !t.isCustom) return;
    const bucket = this.bucket(typeKey);
    for (const [, obj] of [...bucket.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
      this.commit(t, 'DELETED', obj, obj);
  }

  private unregisterCrd(crd: JsonObject): void {
    const typeKey = crdTypeKey(crd);
    const t = this.types.get(typeKey);
    if (!t || !t.isCustom) return;
    this.types.delete(typeKey);
    this.objects.delete(typeKey);
    for (const w of [...this.watchers]) if (w.typeKey === typeKey) this.endWatcher(w);
  }

  // -------------------------------------------------------------------------------------------------------
  // Bootstrap

  private bootstrap(apiServer: { ip: string; port: number }): void {
    const ns = this.types.get(NAMESPACE_KEY)!;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create({ type: ns, version: 'v1' }, { metadata: { name } }, { fieldManager: 'kube-apiserver' });
    }
    const svc = this.types.get('/services')!;
    this.create(
      { type: svc, version: 'v1', namespace: 'default' },
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.1',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiServer.port }],
        },
      },
      { fieldManager: 'kube-apiserver' },
    );
    const eps = this.types.get('discovery.k8s.io/endpointslices')!;
    this.create(
      { type: eps, version: 'v1', namespace: 'default' },
      {
        metadata: {
          name: 'kubernetes',
          labels: {
            'kubernetes.io/service-name': 'kubernetes',
            'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
          },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: [apiServer.ip], conditions: { ready: true } }],
        ports: [{ name: 'https', port: apiServer.port, protocol: 'TCP' }],
      },
      { fieldManager: 'kube-apiserver' },
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // Direct handle for tests: the same semantics as the HTTP API, addressed by apiVersion/kind.

  private scopeFor(apiVersion: string, kind: string, namespace: string | undefined): RequestScope {
    const resolved = this.resolveKind(apiVersion, kind);
    if (!resolved)
      throw new KubeApiError(404, 'NotFound', `no matches for kind "${kind}" in version "${apiVersion}"`);
    const scope: RequestScope = { type: resolved.type, version: resolved.version };
    if (resolved.type.namespaced) scope.namespace = namespace ?? 'default';
    return scope;
  }

  private scopeOfObject(obj: JsonObject): RequestScope {
    return this.scopeFor(str(obj.apiVersion ?? ''), str(obj.kind ?? ''), namespaceOf(obj));
  }

  /** Server-side apply (create or merge) as `fieldManager` (default "test-support", forced). */
  apply(obj: object, options: { fieldManager?: string; force?: boolean } = {}): JsonObject {
    const o = obj as JsonObject;
    const scope = this.scopeOfObject(o);
    return this.patch(scope, nameOf(o), PATCH_TYPES.apply, JSON.stringify(o), {
      fieldManager: options.fieldManager ?? 'test-support',
      force: options.force ?? true,
    }).object;
  }

  /** Server-side apply to the status subresource. */
  applyStatus(obj: object, options: { fieldManager?: string } = {}): JsonObject {
    const o = obj as JsonObject;
    const scope = this.scopeOfObject(o);
    return this.patch(
      scope,
      nameOf(o),
      PATCH_TYPES.apply,
      JSON.stringify(o),
      { fieldManager: options.fieldManager ?? 'test-support', force: true },
      'status',
    ).object;
  }

  createObject(obj: object): JsonObject {
    const o = obj as JsonObject;
    return this.create(this.scopeOfObject(o), o, { fieldManager: 'test-support' }).object;
  }

  getObject(apiVersion: string, kind: string, name: string, namespace?: string): JsonObject | undefined {
    try {
      return this.get(this.scopeFor(apiVersion, kind, namespace), name);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  async listObjects(apiVersion: string, kind: string, namespace?: string): Promise<JsonObject[]> {
    const scope = this.scopeFor(apiVersion, kind, namespace);
    if (namespace === undefined) delete scope.namespace;
    return (await this.list(scope)).items;
  }

  deleteObject(apiVersion: string, kind: string, name: string, namespace?: string): void {
    this.delete(this.scopeFor(apiVersion, kind, namespace), name);
  }
}

function parseRevision(value: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version: ${JSON.stringify(value)}`);
  return Number(value);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      v?: string;
      rv?: number;
      start?: string;
    };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string')
      throw new Error('bad');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}
