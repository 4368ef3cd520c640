/** The HTTP face of the store: Kubernetes REST paths, discovery, watch streams, Status errors. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, KubeApiError, methodNotAllowed, pathNotFound, unsupportedMediaType } from './errors.ts';
import { isObject, str, type Json, type JsonObject } from './json.ts';
import { groupVersion, hasStatusSubresource, type ResourceType } from './resources.ts';
import type { KubeStore, RequestScope, Watch, WatchEvent, WriteOptions, WriteResult } from './store.ts';
import { openApiV3Document, openApiV3Root } from './openapi.ts';
import { toTable, type IncludeObject } from './table.ts';

export interface HttpOptions {
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (the real server: about a minute). */
  bookmarkIntervalMs: number;
  /** A watch without timeoutSeconds ends after this long (the real server: 30-60 minutes). */
  watchTimeoutSeconds: number;
  /** The address clients see, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const KUBERNETES_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(`${text}\n`);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiError =
    err instanceof KubeApiError
      ? err
      : new KubeApiError(
          500,
          'InternalError',
          `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
        );
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES)
      throw new KubeApiError(413, 'BadRequest', 'Request entity too large: limit is 3145728');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): Json {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/vnd.kubernetes.protobuf') {
    throw unsupportedMediaType(type, ['application/json', 'application/yaml']);
  }
  try {
    if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml')
      return parseYaml(text) as Json;
    return JSON.parse(text) as Json;
  } catch (err) {
    throw badRequest(
      `the object provided is unrecognized: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest('base64').slice(0, 11) + '=';
}

function resourceList(store: KubeStore, group: string, version: string): JsonObject {
  const resources: JsonObject[] = [];
  for (const t of store.servedTypes()) {
    if (t.group !== group || !t.versions.some((v) => v.name === version)) continue;
    const entry: JsonObject = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
    };
    if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
    if (t.categories.length > 0) entry.categories = t.categories;
    entry.storageVersionHash = storageVersionHash(t.group, t.storageVersion, t.kind);
    resources.push(entry);
    if (hasStatusSubresource(t, version)) {
      resources.push({
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  resources.sort((a, b) => str(a.name).localeCompare(str(b.name)));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

function apiGroup(name: string, versions: string[]): JsonObject {
  const preferred = versions[0]!;
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
  };
}

const BUILTIN_GROUP_ORDER = ['apps', 'discovery.k8s.io', 'apiextensions.k8s.io'];

function groupList(store: KubeStore): JsonObject {
  const groups = [...store.groups().entries()].filter(([name]) => name !== '');
  groups.sort(([a], [b]) => {
    const ia = BUILTIN_GROUP_ORDER.indexOf(a);
    const ib = BUILTIN_GROUP_ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(([name, versions]) => apiGroup(name, versions)),
  };
}

interface TableRequest {
  include: IncludeObject;
}

/** `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, application/json`: answer a Table. */
function wantsTable(req: IncomingMessage, query: URLSearchParams): TableRequest | undefined {
  const accept = req.headers.accept ?? '';
  const first = accept.split(',')[0] ?? '';
  if (!/as=Table/.test(first) || !/g=meta\.k8s\.io/.test(first)) return undefined;
  const include = query.get('includeObject');
  return { include: include === 'None' || include === 'Object' ? include : 'Metadata' };
}

function checkAccept(req: IncomingMessage): void {
  const accept = req.headers.accept;
  if (!accept) return;
  const types = accept.split(',').map((a) => a.split(';')[0]!.trim().toLowerCase());
  if (types.some((t) => t === '*/*' || t === 'application/*' || t === 'application/json' || t === '')) return;
  throw new KubeApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: application/json, application/yaml`,
  );
}

function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

function writeOptions(req: IncomingMessage, query: URLSearchParams): WriteOptions {
  const options: WriteOptions = {};
  if (query.getAll('dryRun').includes('All')) options.dryRun = true;
  const manager = query.get('fieldManager');
  if (manager) options.fieldManager = manager;
  const validation = query.get('fieldValidation');
  if (validation === 'Strict' || validation === 'Warn' || validation === 'Ignore')
    options.fieldValidation = validation;
  else if (validation)
    throw badRequest(
      `fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(validation)}`,
    );
  if (query.has('force')) options.force = boolParam(query, 'force');
  const ua = req.headers['user-agent'];
  options.defaultManager = ua ? (ua.split('/')[0] ?? 'unknown') : 'unknown';
  return options;
}

function warningHeaders(result: WriteResult): Record<string, string[]> {
  if (result.warnings.length === 0) return {};
  return { Warning: result.warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

interface ResourceRoute {
  scope: RequestScope;
  name?: string;
  subresource?: 'status';
  legacyWatch: boolean;
}

function routeResource(store: KubeStore, group: string, version: string, rest: string[]): ResourceRoute {
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let plural: string | undefined;
  let name: string | undefined;
  let sub: string | undefined;
  let extra: string[] = [];
  const nsType =
    rest[0] === 'namespaces' && rest.length >= 3 ? store.resolve(group, version, rest[2]!) : undefined;
  if (nsType?.namespaced) {
    [, namespace, plural, name, sub, ...extra] = rest;
  } else {
    [plural, name, sub, ...extra] = rest;
  }
  const type: ResourceType | undefined = plural ? store.resolve(group, version, plural) : undefined;
  if (!type || extra.length > 0) throw pathNotFound();
  if (namespace !== undefined && !type.namespaced) throw pathNotFound();
  if (type.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
  if (sub !== undefined && (sub !== 'status' || !hasStatusSubresource(type, version))) throw pathNotFound();
  const scope: RequestScope = { type, version };
  if (namespace !== undefined) scope.namespace = decodeURIComponent(namespace);
  const route: ResourceRoute = { scope, legacyWatch };
  if (name !== undefined) route.name = decodeURIComponent(name);
  if (sub === 'status') route.subresource = 'status';
  return route;
}

export function createHandler(store: KubeStore, options: HttpOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await handle(req, res);
    } catch (err) {
      sendError(res, err);
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').filter((s) => s !== '');
    const query = url.searchParams;
    const method = req.method ?? 'GET';

    // Non-resource paths
    if (segments.length === 0) {
      return sendJson(res, 200, {
        paths: [
          '/api',
          '/api/v1',
          '/apis',
          ...[...store.groups().entries()].flatMap(([g, vs]) =>
            g ? [`/apis/${g}`, ...vs.map((v) => `/apis/${g}/${v}`)] : [],
          ),
          '/healthz',
          '/livez',
          '/readyz',
          '/version',
        ],
      });
    }
    if (segments.length === 1 && ['healthz', 'livez', 'readyz'].includes(segments[0]!)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (segments.length === 1 && segments[0] === 'version') return sendJson(res, 200, KUBERNETES_VERSION);
    if (segments[0] === 'openapi' && segments[1] === 'v3') {
      if (segments.length === 2) return sendJson(res, 200, openApiV3Root(store));
      const doc = openApiV3Document(store, segments.slice(2));
      if (!doc) throw pathNotFound();
      return sendJson(res, 200, doc);
    }
    if (segments[0] === 'api') {
      if (segments.length === 1) {
        if (method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: options.serverAddress() }],
        });
      }
      if (segments[1] !== 'v1') throw pathNotFound();
      if (segments.length === 2) {
        if (method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, resourceList(store, '', 'v1'));
      }
      return resourceRequest(req, res, routeResource(store, '', 'v1', segments.slice(2)), query);
    }
    if (segments[0] === 'apis') {
      if (segments.length === 1) {
        if (method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, groupList(store));
      }
      const group = segments[1]!;
      const versions = store.groups().get(group);
      if (!versions || group === '') throw pathNotFound();
      if (segments.length === 2) {
        if (method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) });
      }
      const version = segments[2]!;
      if (!versions.includes(version)) throw pathNotFound();
      if (segments.length === 3) {
        if (method !== 'GET') throw methodNotAllowed();
        return sendJson(res, 200, resourceList(store, group, version));
      }
      return resourceRequest(req, res, routeResource(store, group, version, segments.slice(3)), query);
    }
    throw pathNotFound();
  }

  async function resourceRequest(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const { scope, name, subresource } = route;
    const t = scope.type;
    const verbs = new Set(t.verbs);
    const table = wantsTable(req, query);
    if (!table) checkAccept(req);

    if (method === 'GET') {
      const isWatch = route.legacyWatch || boolParam(query, 'watch');
      if (isWatch) {
        if (subresource) throw methodNotAllowed();
        return watchRequest(req, res, route, query, table);
      }
      if (name !== undefined) {
        const obj = store.get(scope, name);
        if (table)
          return sendJson(
            res,
            200,
            toTable(
              t,
              store.printerColumns(t, scope.version),
              [obj],
              { resourceVersion: (obj.metadata as JsonObject).resourceVersion ?? '' },
              table.include,
            ),
          );
        return sendJson(res, 200, obj);
      }
      const listOptions = {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        limit: query.has('limit') ? Number(query.get('limit')) : undefined,
        continue: query.get('continue') ?? undefined,
        resourceVersion: query.get('resourceVersion') ?? undefined,
        resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
      };
      const list = await store.list(scope, listOptions);
      if (table) {
        const objects = list.items.map((item) => ({
          apiVersion: groupVersion(t.group, scope.version),
          kind: t.kind,
          ...item,
        }));
        return sendJson(
          res,
          200,
          toTable(t, store.printerColumns(t, scope.version), objects, list.metadata, table.include),
        );
      }
      return sendJson(res, 200, list);
    }

    if (route.legacyWatch) throw methodNotAllowed();
    if (method === 'POST') {
      if (name !== undefined || !verbs.has('create')) throw methodNotAllowed();
      if (t.namespaced && scope.namespace === undefined) throw methodNotAllowed();
      const body = parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
      const result = store.create(scope, body, writeOptions(req, query));
      return sendJson(res, 201, result.object, warningHeaders(result));
    }
    if (method === 'PUT') {
      if (name === undefined || !verbs.has('update')) throw methodNotAllowed();
      const body = parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
      const result = store.update(scope, name, body, writeOptions(req, query), subresource);
      return sendJson(res, 200, result.object, warningHeaders(result));
    }
    if (method === 'PATCH') {
      if (name === undefined || !verbs.has('patch')) throw methodNotAllowed();
      const body = await readBody(req);
      const result = store.patch(
        scope,
        name,
        req.headers['content-type'] ?? '',
        body,
        writeOptions(req, query),
        subresource,
      );
      return sendJson(res, result.created ? 201 : 200, result.object, warningHeaders(result));
    }
    if (method === 'DELETE') {
      if (subresource) throw methodNotAllowed();
      const text = await readBody(req);
      const deleteBody =
        text.trim() === '' ? {} : parseBody(text, req.headers['content-type'] ?? 'application/json');
      const deleteOptions = isObject(deleteBody) ? deleteBody : {};
      const dryRun =
        query.getAll('dryRun').includes('All') ||
        (Array.isArray(deleteOptions.dryRun) && deleteOptions.dryRun.includes('All'));
      const preconditions = isObject(deleteOptions.preconditions) ? deleteOptions.preconditions : undefined;
      const opts: { dryRun: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {
        dryRun,
      };
      if (preconditions) {
        opts.preconditions = {};
        if (typeof preconditions.uid === 'string') opts.preconditions.uid = preconditions.uid;
        if (typeof preconditions.resourceVersion === 'string')
          opts.preconditions.resourceVersion = preconditions.resourceVersion;
      }
      if (name === undefined) {
        if (!verbs.has('deletecollection')) throw methodNotAllowed();
        const listed = await store.deleteCollection(scope, {
          ...opts,
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
        });
        return sendJson(res, 200, listed);
      }
      const { object, returnObject } = store.delete(scope, name, opts);
      return sendJson(res, 200, returnObject ? object : store.deleteStatus(t, object));
    }
    throw methodNotAllowed();
  }

  function watchRequest(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
    table: TableRequest | undefined,
  ): void {
    const { scope } = route;
    const t = scope.type;
    let fieldSelector = query.get('fieldSelector') ?? undefined;
    if (route.name !== undefined) {
      const byName = `metadata.name=${route.name}`;
      fieldSelector = fieldSelector ? `${fieldSelector},${byName}` : byName;
    }
    const timeoutParam = query.get('timeoutSeconds');
    const timeoutSeconds =
      timeoutParam !== null && /^\d+$/.test(timeoutParam)
        ? Number(timeoutParam)
        : options.watchTimeoutSeconds;
    const allowBookmarks = boolParam(query, 'allowWatchBookmarks');
    let ended = false;
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-cache, private',
        'Transfer-Encoding': 'chunked',
      });
      res.flushHeaders();
    };
    const render = (event: WatchEvent): WatchEvent => {
      if (!table || event.type === 'ERROR' || event.type === 'BOOKMARK') return event;
      return {
        type: event.type,
        object: toTable(
          t,
          store.printerColumns(t, scope.version),
          [event.object],
          { resourceVersion: (event.object.metadata as JsonObject).resourceVersion ?? '' },
          table.include,
        ),
      };
    };
    const state: { watch?: Watch; bookmarkTimer?: NodeJS.Timeout; deadline?: NodeJS.Timeout } = {};
    const cleanup = () => {
      ended = true;
      clearInterval(state.bookmarkTimer);
      clearTimeout(state.deadline);
      state.watch?.stop();
    };
    const watchOptions = {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
      allowWatchBookmarks: allowBookmarks,
      sendInitialEvents: boolParam(query, 'sendInitialEvents'),
    };
    state.watch = store.watch(scope, watchOptions, {
      send(event) {
        if (ended) return;
        start();
        res.write(`${JSON.stringify(render(event))}\n`);
      },
      end() {
        if (ended) return;
        start();
        cleanup();
        res.end();
      },
    });
    if (ended) return;
    start();
    res.on('close', cleanup);
    if (allowBookmarks && options.bookmarkIntervalMs > 0) {
      state.bookmarkTimer = setInterval(() => state.watch?.bookmark(), options.bookmarkIntervalMs).unref();
    }
    state.deadline = setTimeout(() => {
      if (ended) return;
      // The real server sends a last bookmark just before a watch times out.
      if (allowBookmarks) state.watch?.bookmark();
      cleanup();
      res.end();
    }, timeoutSeconds * 1000).unref();
  }
}
