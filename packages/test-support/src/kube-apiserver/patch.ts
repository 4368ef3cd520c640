/** PATCH bodies: RFC 6902 JSON patch (fast-json-patch), RFC 7386 merge patch, strategic merge patch (subset). */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { badRequest, KubeApiError } from './errors.ts';
import { clone, isObject, mergePatch, type Json, type JsonObject } from './json.ts';
import { childSchema, listTopology, type Schema } from './structural.ts';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export function applyJsonPatch(target: JsonObject, patch: Json): JsonObject {
  if (!Array.isArray(patch)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  try {
    const result = jsonpatch.applyPatch(clone(target), patch as unknown as Operation[], true, true, true);
    const doc = result.newDocument as Json;
    if (!isObject(doc)) throw badRequest('the patch produced a value that is not an object');
    return doc;
  } catch (err) {
    if (err instanceof KubeApiError) throw err;
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (err instanceof jsonpatch.JsonPatchError && err.name === 'TEST_OPERATION_FAILED') {
      throw new KubeApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request`,
        {
          causes: [{ message: 'testing value failed' }],
        },
      );
    }
    throw new KubeApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ message }],
    });
  }
}

export function applyMergePatch(target: JsonObject, patch: Json): JsonObject {
  if (!isObject(patch))
    throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return mergePatch(target, patch) as JsonObject;
}

/**
 * Strategic merge patch for built-in types: a merge patch in which lists the schema declares associative
 * (x-kubernetes-list-type map, i.e. patchStrategy merge) are merged by key, `$patch: delete` removes an item and
 * `$patch: replace` replaces a map or list. Other directives ($retainKeys, $deleteFromPrimitiveList,
 * $setElementOrder) are ignored.
 */
export function applyStrategicMergePatch(
  target: JsonObject,
  patch: Json,
  schema: Schema | undefined,
): JsonObject {
  if (!isObject(patch))
    throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return strategic(target, patch, schema) as JsonObject;
}

function strategic(target: Json | undefined, patch: Json, schema: Schema | undefined): Json {
  if (isObject(patch)) {
    if (patch.$patch === 'replace') {
      const copy = clone(patch);
      delete copy.$patch;
      return copy;
    }
    const out: JsonObject = isObject(target) ? clone(target) : {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined || key.startsWith('$')) continue;
      if (value === null) delete out[key];
      else out[key] = strategic(out[key], value, childSchema(schema, key));
    }
    return out;
  }
  if (Array.isArray(patch)) {
    const topology = listTopology(schema);
    if (topology.kind !== 'map' || !Array.isArray(target)) {
      return patch
        .filter((item) => !(isObject(item) && item.$patch !== undefined))
        .map((item) => clone(item));
    }
    const out = clone(target);
    const sameKey = (a: Json, b: Json) =>
      isObject(a) && isObject(b) && topology.keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
    for (const item of patch) {
      if (isObject(item) && item.$patch === 'replace')
        return patch.filter((i) => !(isObject(i) && i.$patch)).map((i) => clone(i));
      const index = out.findIndex((existing) => sameKey(existing, item));
      if (isObject(item) && item.$patch === 'delete') {
        if (index >= 0) out.splice(index, 1);
        continue;
      }
      if (index >= 0) out[index] = strategic(out[index], item, schema?.items);
      else out.push(strategic(undefined, item, schema?.items));
    }
    return out;
  }
  return clone(patch);
}
