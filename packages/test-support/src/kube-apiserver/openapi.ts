/**
 * A minimal OpenAPI v3 discovery (`/openapi/v3` and one document per group-version), enough for kubectl:
 * each resource's PATCH operation declares the query parameters the server supports (so kubectl sends
 * fieldValidation=Strict and lets the server validate instead of downloading schemas), and custom resources
 * carry their schemas (so `kubectl explain` works for them). Built-in schemas are not published: kubectl then
 * uses its compiled-in types for strategic merge patches, as it does against servers without OpenAPI.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from './json.ts';
import type { ResourceType } from './resources.ts';
import type { KubeStore } from './store.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(t: ResourceType, version: string): string {
  if (!t.isCustom)
    return `io.k8s.api.${t.group === '' ? 'core' : t.group.split('.')[0]}.${version}.${t.kind}`;
  return `${t.group.split('.').reverse().join('.')}.${version}.${t.kind}`;
}

const queryParam = (name: string, type: 'string' | 'boolean') => ({
  name,
  in: 'query',
  schema: { type, uniqueItems: true },
});

function document(store: KubeStore, group: string, version: string): JsonObject {
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const t of store.servedTypes()) {
    const info = t.versions.find((v) => v.name === version);
    if (t.group !== group || !info) continue;
    const gvk = { group: t.group, version, kind: t.kind };
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const ok = { '200': { description: 'OK' } };
    const operation = (action: string, verb: string, extra: JsonObject = {}): JsonObject => ({
      operationId: `${verb}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      responses: ok,
      ...extra,
    });
    const writeParams = [
      queryParam('dryRun', 'string'),
      queryParam('fieldManager', 'string'),
      queryParam('fieldValidation', 'string'),
    ];
    paths[base] = {
      get: operation('list', 'list'),
      post: operation('post', 'create', { parameters: writeParams }),
    };
    paths[`${base}/{name}`] = {
      get: operation('get', 'read'),
      put: operation('put', 'replace', { parameters: writeParams }),
      patch: operation('patch', 'patch', { parameters: [...writeParams, queryParam('force', 'boolean')] }),
      delete: operation('delete', 'delete', { parameters: [queryParam('dryRun', 'string')] }),
    };
    if (info.statusSubresource ?? t.statusSubresource) {
      paths[`${base}/{name}/status`] = {
        get: operation('get', 'read'),
        put: operation('put', 'replace', { parameters: writeParams }),
        patch: operation('patch', 'patch', { parameters: [...writeParams, queryParam('force', 'boolean')] }),
      };
    }
    if (t.isCustom && info.schema) {
      schemas[schemaName(t, version)] = {
        ...(info.schema as JsonObject),
        'x-kubernetes-group-version-kind': [gvk],
      };
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.31.0' },
    paths,
    components: { schemas },
  };
}

/** `/openapi/v3`: where each group-version's document is. */
export function openApiV3Root(store: KubeStore): JsonObject {
  const paths: JsonObject = {};
  for (const [group, versions] of store.groups()) {
    for (const version of versions) {
      const hash = createHash('sha512')
        .update(JSON.stringify(document(store, group, version)))
        .digest('hex')
        .slice(0, 32)
        .toUpperCase();
      paths[gvPath(group, version)] = {
        serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}`,
      };
    }
  }
  return { paths };
}

/** `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`, or undefined if not served. */
export function openApiV3Document(store: KubeStore, segments: string[]): JsonObject | undefined {
  let group: string | undefined;
  let version: string | undefined;
  if (segments[0] === 'api' && segments.length === 2) [group, version] = ['', segments[1]!];
  else if (segments[0] === 'apis' && segments.length === 3) [group, version] = [segments[1]!, segments[2]!];
  if (group === undefined || version === undefined) return undefined;
  if (!store.groups().get(group)?.includes(version)) return undefined;
  return document(store, group, version);
}
