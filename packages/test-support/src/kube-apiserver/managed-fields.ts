/**
 * Field ownership (metadata.managedFields, FieldsV1) and server-side apply.
 *
 * A simplified model of sigs.k8s.io/structured-merge-diff: ownership is tracked on leaf fields, on items of
 * associative lists (x-kubernetes-list-type map / set) and on atomic values; maps recurse unless marked atomic;
 * lists are atomic unless the schema says otherwise. An apply merges the applied configuration into the live
 * object, removes fields the manager applied before and no longer applies (unless someone else owns them), and
 * reports a 409 conflict when it would change a value another manager owns (force=true takes ownership).
 */
import { KubeApiError } from './errors.ts';
import { clone, deepEqual, isObject, nowTimestamp, str, type Json, type JsonObject } from './json.ts';
import { childSchema, isAtomicMap, listTopology, type Schema } from './structural.ts';

/** A path in FieldsV1 tokens: `f:spec`, `k:{"name":"app"}`, `v:"x"`, serialized with JSON.stringify. */
type PathKey = string;
type FieldSet = Set<PathKey>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export type Scope = 'main' | 'status' | 'all';

const TRACKED_METADATA = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);

/** The field paths present in an object (within a scope: the main resource without status, or status only). */
export function fieldSetOf(obj: JsonObject, schema: Schema | undefined, scope: Scope): FieldSet {
  const out: FieldSet = new Set();
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || key === 'apiVersion' || key === 'kind') continue;
    if (scope === 'main' && key === 'status') continue;
    if (scope === 'status' && key !== 'status') continue;
    if (key === 'metadata') {
      if (!isObject(value)) continue;
      const metaSchema = childSchema(schema, 'metadata');
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (metaValue === undefined || !TRACKED_METADATA.has(metaKey)) continue;
        collect(
          metaValue,
          childSchema(metaSchema, metaKey) ?? defaultMetaSchema(metaKey),
          ['f:metadata', `f:${metaKey}`],
          out,
        );
      }
      continue;
    }
    collect(value, childSchema(schema, key), [`f:${key}`], out);
  }
  return out;
}

function defaultMetaSchema(key: string): Schema | undefined {
  if (key === 'finalizers')
    return { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' };
  if (key === 'ownerReferences') {
    return {
      type: 'array',
      items: { type: 'object' },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['uid'],
    };
  }
  return undefined;
}

function itemKeyToken(item: Json, keys: string[]): string | undefined {
  if (!isObject(item)) return undefined;
  const keyObj: JsonObject = {};
  for (const k of keys) if (item[k] !== undefined) keyObj[k] = item[k];
  return `k:${JSON.stringify(keyObj)}`;
}

function collect(value: Json, schema: Schema | undefined, path: string[], out: FieldSet): void {
  if (isObject(value) && !isAtomicMap(schema) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      collect(child, childSchema(schema, key), [...path, `f:${key}`], out);
    }
    return;
  }
  if (Array.isArray(value)) {
    const topology = listTopology(schema);
    if (topology.kind === 'set') {
      for (const item of value) out.add(JSON.stringify([...path, `v:${JSON.stringify(item)}`]));
      return;
    }
    if (topology.kind === 'map') {
      for (const item of value) {
        const token = itemKeyToken(item, topology.keys);
        if (token === undefined) continue;
        const itemPath = [...path, token];
        out.add(JSON.stringify(itemPath));
        collect(item, schema?.items, itemPath, out);
      }
      return;
    }
  }
  out.add(JSON.stringify(path));
}

// ---------------------------------------------------------------------------------------------------------
// FieldsV1 encoding

interface TreeNode {
  self: boolean;
  children: Map<string, TreeNode>;
}

export function toFieldsV1(set: FieldSet): JsonObject {
  const root: TreeNode = { self: false, children: new Map() };
  for (const key of set) {
    let node = root;
    for (const token of JSON.parse(key) as string[]) {
      let next = node.children.get(token);
      if (!next) {
        next = { self: false, children: new Map() };
        node.children.set(token, next);
      }
      node = next;
    }
    node.self = true;
  }
  const render = (node: TreeNode): JsonObject => {
    const out: JsonObject = {};
    if (node.self && node.children.size > 0) out['.'] = {};
    for (const [token, child] of [...node.children.entries()].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    )) {
      out[token] = render(child);
    }
    return out;
  };
  return render(root);
}

export function fromFieldsV1(fields: Json | undefined): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: Json | undefined, path: string[]) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) out.add(JSON.stringify(path));
    for (const key of keys) {
      if (key === '.') out.add(JSON.stringify(path));
      else walk(node[key], [...path, key]);
    }
  };
  walk(fields, []);
  return out;
}

/** `.spec.containers[name="app"].image`, as conflict messages print paths. */
export function describePath(key: PathKey): string {
  let out = '';
  for (const token of JSON.parse(key) as string[]) {
    const kind = token.slice(0, 2);
    const rest = token.slice(2);
    if (kind === 'f:') out += `.${rest}`;
    else if (kind === 'k:') {
      const keyObj = JSON.parse(rest) as JsonObject;
      out += `[${Object.entries(keyObj)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (kind === 'v:') out += `[=${rest}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Navigating objects by path

interface Located {
  found: boolean;
  value?: Json;
}

function step(current: Json | undefined, token: string): Json | undefined {
  const kind = token.slice(0, 2);
  const rest = token.slice(2);
  if (kind === 'f:') return isObject(current) ? current[rest] : undefined;
  if (!Array.isArray(current)) return undefined;
  if (kind === 'k:') {
    const keyObj = JSON.parse(rest) as JsonObject;
    return current.find(
      (item) => isObject(item) && Object.entries(keyObj).every(([k, v]) => deepEqual(item[k], v)),
    );
  }
  if (kind === 'v:') {
    const wanted = JSON.parse(rest) as Json;
    return current.find((item) => deepEqual(item, wanted));
  }
  return undefined;
}

function locate(obj: Json, key: PathKey): Located {
  let current: Json | undefined = obj;
  for (const token of JSON.parse(key) as string[]) {
    current = step(current, token);
    if (current === undefined) return { found: false };
  }
  return { found: true, value: current };
}

function removeAt(obj: Json, key: PathKey): void {
  const tokens = JSON.parse(key) as string[];
  const last = tokens.pop();
  if (last === undefined) return;
  let parent: Json | undefined = obj;
  for (const token of tokens) {
    parent = step(parent, token);
    if (parent === undefined) return;
  }
  const kind = last.slice(0, 2);
  const rest = last.slice(2);
  if (kind === 'f:' && isObject(parent)) delete parent[rest];
  else if (Array.isArray(parent)) {
    const target = step(parent, last);
    const index = parent.indexOf(target as Json);
    if (index >= 0) parent.splice(index, 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Merging an applied configuration

function mergeApplied(live: Json | undefined, applied: Json, schema: Schema | undefined): Json {
  if (isObject(applied) && isObject(live) && !isAtomicMap(schema)) {
    const out = clone(live);
    for (const [key, value] of Object.entries(applied)) {
      if (value === undefined) continue;
      out[key] = mergeApplied(live[key], value, childSchema(schema, key));
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const topology = listTopology(schema);
    if (topology.kind === 'set') {
      const out = clone(live);
      for (const item of applied)
        if (!out.some((existing) => deepEqual(existing, item))) out.push(clone(item));
      return out;
    }
    if (topology.kind === 'map') {
      const out = clone(live);
      for (const item of applied) {
        const token = itemKeyToken(item, topology.keys);
        const existing = token === undefined ? undefined : step(out, token);
        if (existing === undefined) out.push(clone(item));
        else out[out.indexOf(existing)] = mergeApplied(existing, item, schema?.items);
      }
      return out;
    }
  }
  return clone(applied);
}

// ---------------------------------------------------------------------------------------------------------
// Ownership bookkeeping

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: FieldSet;
}

function readEntries(obj: JsonObject): Entry[] {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const raw = Array.isArray(meta.managedFields) ? meta.managedFields : [];
  const entries: Entry[] = [];
  for (const item of raw) {
    if (!isObject(item) || typeof item.manager !== 'string') continue;
    const entry: Entry = {
      manager: item.manager,
      operation: item.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: str(item.apiVersion ?? ''),
      time: str(item.time ?? nowTimestamp()),
      fields: fromFieldsV1(item.fieldsV1),
    };
    if (typeof item.subresource === 'string' && item.subresource !== '') entry.subresource = item.subresource;
    entries.push(entry);
  }
  return entries;
}

function writeEntries(obj: JsonObject, entries: Entry[]): void {
  const meta = isObject(obj.metadata) ? obj.metadata : (obj.metadata = {});
  const kept = entries.filter((e) => e.fields.size > 0);
  if (kept.length === 0) {
    delete meta.managedFields;
    return;
  }
  meta.managedFields = kept.map((e) => {
    const out: JsonObject = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(e.fields),
    };
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

function sameEntry(
  e: Entry,
  manager: string,
  operation: 'Apply' | 'Update',
  subresource: string | undefined,
): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

function entryFor(
  entries: Entry[],
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  subresource: string | undefined,
): Entry {
  let entry = entries.find((e) => sameEntry(e, manager, operation, subresource));
  if (!entry) {
    entry = { manager, operation, apiVersion, time: nowTimestamp(), fields: new Set() };
    if (subresource) entry.subresource = subresource;
    entries.push(entry);
  }
  return entry;
}

function entryScope(e: Entry): Scope {
  return e.subresource === 'status' ? 'status' : 'main';
}

export interface OwnershipContext {
  schema: Schema | undefined;
  /** Status is tracked separately when the type has a status subresource. */
  statusSubresource: boolean;
  subresource: 'status' | undefined;
  apiVersion: string;
  manager: string;
}

function scopeOf(ctx: OwnershipContext): Scope {
  if (!ctx.statusSubresource) return 'all';
  return ctx.subresource === 'status' ? 'status' : 'main';
}

/** Drops ownership of fields that no longer exist. */
function pruneMissing(entries: Entry[], obj: JsonObject, schema: Schema | undefined): void {
  const present = fieldSetOf(obj, schema, 'all');
  for (const e of entries) {
    for (const key of e.fields) {
      if (!present.has(key)) e.fields.delete(key);
    }
  }
}

/** Records an Update (create, PUT, non-apply PATCH) by `ctx.manager` in `next`'s managedFields. */
export function recordUpdate(
  previous: JsonObject | undefined,
  next: JsonObject,
  ctx: OwnershipContext,
): void {
  // The entries to start from are on `next` (carried over from the stored object, or as the client set them).
  const entries = readEntries(next);
  const scope = scopeOf(ctx);
  const before = previous ? fieldSetOf(previous, ctx.schema, scope) : new Set<PathKey>();
  const after = fieldSetOf(next, ctx.schema, scope);
  const changed = new Set<PathKey>();
  for (const key of after) {
    if (!before.has(key)) changed.add(key);
    else if (previous) {
      const was = locate(previous, key);
      const now = locate(next, key);
      if (!deepEqual(was.value, now.value) && !isItemPath(key)) changed.add(key);
    }
  }
  if (changed.size > 0) {
    for (const e of entries) {
      if (sameEntry(e, ctx.manager, 'Update', ctx.subresource)) continue;
      for (const key of changed) e.fields.delete(key);
    }
    const mine = entryFor(entries, ctx.manager, 'Update', ctx.apiVersion, ctx.subresource);
    for (const key of changed) mine.fields.add(key);
    mine.time = nowTimestamp();
    mine.apiVersion = ctx.apiVersion;
  }
  pruneMissing(entries, next, ctx.schema);
  writeEntries(next, entries);
}

function isItemPath(key: PathKey): boolean {
  const tokens = JSON.parse(key) as string[];
  const last = tokens[tokens.length - 1] ?? '';
  return last.startsWith('k:');
}

export interface ApplyResult {
  /** The merged object, still to be defaulted, validated and stored. */
  object: JsonObject;
  /** Finishes the bookkeeping on the object as it will be stored. */
  finish: (stored: JsonObject) => void;
}

/**
 * Server-side apply of `applied` by `ctx.manager` onto `live` (undefined: create).
 * Throws a 409 Conflict when another manager owns a field whose value would change and `force` is false.
 */
export function serverSideApply(
  live: JsonObject | undefined,
  applied: JsonObject,
  ctx: OwnershipContext,
  force: boolean,
): ApplyResult {
  const scope = scopeOf(ctx);
  const entries = live ? readEntries(live) : [];
  const appliedSet = fieldSetOf(applied, ctx.schema, scope);
  const mine = entries.find((e) => sameEntry(e, ctx.manager, 'Apply', ctx.subresource));
  const previouslyApplied = mine ? new Set(mine.fields) : new Set<PathKey>();

  const base: JsonObject = live ? clone(live) : {};
  const merged = mergeApplied(base, applied, ctx.schema) as JsonObject;

  // Conflicts: another manager owns a field whose value the apply changes.
  const conflicts: { manager: string; apiVersion: string; path: PathKey }[] = [];
  if (live) {
    for (const e of entries) {
      if (e.manager === ctx.manager) continue;
      if (scope !== 'all' && entryScope(e) !== scope) continue;
      for (const key of appliedSet) {
        if (!e.fields.has(key) || isItemPath(key)) continue;
        const current = locate(live, key);
        const wanted = locate(applied, key);
        if (current.found && !deepEqual(current.value, wanted.value))
          conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: key });
      }
    }
  }
  if (conflicts.length > 0 && !force) throw applyConflict(conflicts);
  for (const c of conflicts) {
    for (const e of entries) if (e.manager === c.manager) e.fields.delete(c.path);
  }

  // Fields this manager applied before and dropped now are removed, unless someone else owns them.
  const dropped = [...previouslyApplied].filter((key) => !appliedSet.has(key));
  dropped.sort((a, b) => b.length - a.length);
  for (const key of dropped) {
    const ownedElsewhere = entries.some(
      (e) =>
        e !== mine &&
        [...e.fields].some((owned) => owned === key || owned.startsWith(key.slice(0, -1) + ',')),
    );
    if (!ownedElsewhere) removeAt(merged, key);
  }

  return {
    object: merged,
    finish: (stored) => {
      const entry = entryFor(entries, ctx.manager, 'Apply', ctx.apiVersion, ctx.subresource);
      entry.fields = new Set(appliedSet);
      entry.time = nowTimestamp();
      entry.apiVersion = ctx.apiVersion;
      pruneMissing(entries, stored, ctx.schema);
      writeEntries(stored, entries);
    },
  };
}

function applyConflict(conflicts: { manager: string; apiVersion: string; path: PathKey }[]): KubeApiError {
  const n = conflicts.length;
  const byManager = new Map<string, { apiVersion: string; paths: string[] }>();
  for (const c of conflicts) {
    const group = byManager.get(c.manager) ?? { apiVersion: c.apiVersion, paths: [] };
    group.paths.push(describePath(c.path));
    byManager.set(c.manager, group);
  }
  const parts = [...byManager.entries()].map(([manager, g]) =>
    g.paths.length === 1
      ? `conflict with "${manager}" using ${g.apiVersion}: ${g.paths[0]}`
      : `conflicts with "${manager}" using ${g.apiVersion}:\n${g.paths.map((p) => `- ${p}`).join('\n')}`,
  );
  const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
  return new KubeApiError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}" using ${c.apiVersion}`,
      field: describePath(c.path),
    })),
  });
}
