/**
 * Structural OpenAPI v3 schemas as CustomResourceDefinitions declare them: pruning of unknown fields, defaulting,
 * validation (via ajv) with field errors worded like the real API server's, and the list/map topology
 * (x-kubernetes-list-type / -list-map-keys) that server-side apply needs.
 *
 * Not implemented: x-kubernetes-validations (CEL rules) are accepted in schemas but not evaluated, and
 * validation ratcheting (keeping old invalid values valid on update) is not done.
 */
import { isIP } from 'node:net';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fieldError, type FieldError } from './errors.ts';
import { clone, formatPath, isObject, type Json, type JsonObject } from './json.ts';

export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: Json[];
  default?: Json;
  nullable?: boolean;
  maximum?: number;
  minimum?: number;
  exclusiveMaximum?: boolean;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  multipleOf?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: unknown[];
  [key: string]: unknown;
}

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** Drops ObjectMeta fields that do not exist (the real server decodes metadata into a typed struct). */
export function pruneObjectMeta(
  metadata: Json | undefined,
  path: (string | number)[],
  pruned: string[],
): JsonObject {
  if (!isObject(metadata)) return {};
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (OBJECT_META_FIELDS.has(key)) out[key] = value;
    else if (key !== 'selfLink') pruned.push(formatPath([...path, key]));
  }
  return out;
}

/** Removes fields the schema does not declare; returns the pruned paths (for warnings / strict validation). */
export function prune(
  value: Json,
  schema: Schema | undefined,
  root: boolean,
): { value: Json; pruned: string[] } {
  const pruned: string[] = [];
  const result = pruneValue(value, schema, root, [], pruned);
  return { value: result, pruned };
}

function pruneValue(
  value: Json,
  schema: Schema | undefined,
  isResourceRoot: boolean,
  path: (string | number)[],
  pruned: string[],
): Json {
  if (schema === undefined) return value;
  if (Array.isArray(value)) {
    if (schema.items === undefined) return value;
    return value.map((item, i) => pruneValue(item, schema.items, false, [...path, i], pruned));
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = isResourceRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (embedded && (key === 'apiVersion' || key === 'kind')) {
      out[key] = child;
      continue;
    }
    if (embedded && key === 'metadata') {
      out[key] = isResourceRoot ? pruneObjectMeta(child, [...path, key], pruned) : child;
      continue;
    }
    const propSchema = schema.properties?.[key];
    if (propSchema) {
      out[key] = pruneValue(child, propSchema, false, [...path, key], pruned);
    } else if (isObject(schema.additionalProperties)) {
      out[key] = pruneValue(child, schema.additionalProperties, false, [...path, key], pruned);
    } else if (preserve || schema.additionalProperties === true) {
      out[key] = child;
    } else {
      pruned.push(formatPath([...path, key]));
    }
  }
  return out;
}

/**
 * Applies `default`s, after dropping nulls of non-nullable fields (a null with a default becomes the default),
 * as the API server does for structural schemas.
 */
export function applyDefaults(value: Json, schema: Schema | undefined): Json {
  if (schema === undefined) return value;
  if (Array.isArray(value)) {
    return schema.items ? value.map((item) => applyDefaults(item, schema.items)) : value;
  }
  if (!isObject(value)) return value;
  const out: JsonObject = { ...value };
  for (const [key, child] of Object.entries(out)) {
    const propSchema =
      schema.properties?.[key] ??
      (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (child === null && propSchema && propSchema.nullable !== true) {
      if (propSchema.default !== undefined) out[key] = clone(propSchema.default);
      else if (schema.properties?.[key]) delete out[key];
    }
  }
  for (const [key, propSchema] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && propSchema.default !== undefined) out[key] = clone(propSchema.default);
  }
  for (const [key, child] of Object.entries(out)) {
    if (child === undefined || child === null) continue;
    const propSchema =
      schema.properties?.[key] ??
      (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (propSchema) out[key] = applyDefaults(child, propSchema);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Validation

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations', // CEL rules: not evaluated by this server.
  'x-kubernetes-group-version-kind',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-unions',
  'example',
  'externalDocs',
];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
  datetime: (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
  byte: (v) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v),
  uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => isIP(v) === 4,
  ipv6: (v) => isIP(v) === 6,
  cidr: (v) => {
    const [ip, bits, extra] = v.split('/');
    if (extra !== undefined || ip === undefined || bits === undefined || !/^\d+$/.test(bits)) return false;
    const family = isIP(ip);
    return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
  },
  hostname: (v) =>
    v.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(v),
  email: (v) => /^[^@\s]+@[^@\s]+$/.test(v),
  duration: (v) => /^(-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+|0)$/.test(v),
};

function collectFormats(schema: unknown, out: Set<string>): void {
  if (Array.isArray(schema)) schema.forEach((s) => collectFormats(s, out));
  else if (isObject(schema)) {
    if (typeof schema.format === 'string') out.add(schema.format);
    Object.values(schema).forEach((s) => collectFormats(s, out));
  }
}

/** Makes a CRD schema digestible for ajv: ObjectMeta is validated separately, `nullable` needs a `type`. */
type AjvSchema = Record<string, unknown>;

function toAjvSchema(schema: Schema, root: boolean): AjvSchema {
  const out: AjvSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined || key === 'default' || key === 'description') continue;
    if (key === 'properties' && isObject(value)) {
      const props: Record<string, AjvSchema> = {};
      for (const [name, sub] of Object.entries(value as Record<string, Schema>)) {
        if (root && name === 'metadata') continue;
        props[name] = toAjvSchema(sub, false);
      }
      out.properties = props;
    } else if ((key === 'items' || key === 'not' || key === 'additionalProperties') && isObject(value)) {
      out[key] = toAjvSchema(value, false);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = (value as Schema[]).map((s) => toAjvSchema(s, false));
    } else if (key === 'nullable' && schema.type === undefined) {
      continue; // ajv refuses `nullable` without `type`
    } else if (key === 'exclusiveMaximum' || key === 'exclusiveMinimum') {
      // OpenAPI v3.0 booleans become JSON Schema's numeric bounds.
      const bound = key === 'exclusiveMaximum' ? schema.maximum : schema.minimum;
      if (value === true && bound !== undefined) {
        out[key] = bound;
        delete out[key === 'exclusiveMaximum' ? 'maximum' : 'minimum'];
      }
    } else if (
      (key === 'maximum' && schema.exclusiveMaximum === true) ||
      (key === 'minimum' && schema.exclusiveMinimum === true)
    ) {
      continue;
    } else out[key] = value;
  }
  return out;
}

function newAjv(formats: Set<string>): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, discriminator: false });
  ajv.addVocabulary(KUBERNETES_KEYWORDS);
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    validate: (enabled: boolean, data: unknown) =>
      !enabled || typeof data === 'string' || (typeof data === 'number' && Number.isInteger(data)),
    errors: false,
  });
  for (const format of formats) {
    const check = FORMATS[format];
    // Formats the real server does not check (int32, int64, float, double, password, ...) accept anything.
    ajv.addFormat(format, check ? { type: 'string', validate: check } : true);
  }
  return ajv;
}

export interface CompiledValidator {
  validate(value: Json): FieldError[];
}

export function compileValidator(schema: Schema): CompiledValidator {
  const formats = new Set<string>();
  collectFormats(schema, formats);
  const ajv = newAjv(formats);
  const fn: ValidateFunction = ajv.compile(toAjvSchema(schema, true));
  return {
    validate(value) {
      if (fn(value)) return [];
      return mapErrors(fn.errors ?? [], value);
    },
  };
}

function pointerToSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(root: Json, segments: (string | number)[]): unknown {
  let current: unknown = root;
  for (const s of segments) {
    if (Array.isArray(current) && typeof s === 'number') current = current[s];
    else if (isObject(current)) current = current[String(s)];
    else return undefined;
  }
  return current;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function mapErrors(errors: ErrorObject[], root: Json): FieldError[] {
  // A failed anyOf/oneOf reports its branches' errors too; the real server reports the combinator only.
  const combinators = errors.filter(
    (e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'not',
  );
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (combinators.some((c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`))) continue;
    const segments = pointerToSegments(e.instancePath);
    const field = formatPath(segments);
    const value = valueAt(root, segments);
    const params = e.params as Record<string, unknown>;
    let err: FieldError;
    switch (e.keyword) {
      case 'required':
        err = fieldError.required(formatPath([...segments, String(params.missingProperty)]));
        break;
      case 'type':
        err = fieldError.typeInvalid(
          field,
          jsonType(value),
          `${field} in body must be of type ${String(params.type)}: ${JSON.stringify(jsonType(value))}`,
        );
        break;
      case 'x-kubernetes-int-or-string':
        err = fieldError.typeInvalid(
          field,
          jsonType(value),
          `${field} in body must be of type integer,string: ${JSON.stringify(jsonType(value))}`,
        );
        break;
      case 'enum':
        err = fieldError.notSupported(field, value, (params.allowedValues as unknown[]) ?? []);
        break;
      case 'maximum':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be less than or equal to ${String(params.limit)}`,
        );
        break;
      case 'exclusiveMaximum':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be less than ${String(params.limit)}`,
        );
        break;
      case 'minimum':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be greater than or equal to ${String(params.limit)}`,
        );
        break;
      case 'exclusiveMinimum':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be greater than ${String(params.limit)}`,
        );
        break;
      case 'maxLength':
        err = fieldError.tooLong(field, Number(params.limit));
        break;
      case 'minLength':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be at least ${String(params.limit)} chars long`,
        );
        break;
      case 'pattern':
        err = fieldError.invalid(field, value, `${field} in body should match '${String(params.pattern)}'`);
        break;
      case 'maxItems':
        err = fieldError.tooMany(field, Array.isArray(value) ? value.length : 0, Number(params.limit));
        break;
      case 'minItems':
        err = fieldError.invalid(
          field,
          Array.isArray(value) ? value.length : value,
          `${field} in body should have at least ${String(params.limit)} items`,
        );
        break;
      case 'maxProperties':
        err = fieldError.tooMany(
          field,
          isObject(value) ? Object.keys(value).length : 0,
          Number(params.limit),
        );
        break;
      case 'minProperties':
        err = fieldError.invalid(
          field,
          isObject(value) ? Object.keys(value).length : value,
          `${field} in body should have at least ${String(params.limit)} properties`,
        );
        break;
      case 'multipleOf':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body should be a multiple of ${String(params.multipleOf)}`,
        );
        break;
      case 'uniqueItems':
        err = fieldError.duplicate(
          formatPath([...segments, Number(params.j)]),
          Array.isArray(value) ? value[Number(params.j)] : value,
        );
        break;
      case 'format':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body must be of type ${String(params.format)}: ${JSON.stringify(value)}`,
        );
        break;
      case 'oneOf':
        err = fieldError.invalid(
          field,
          value,
          `${field} in body must validate one and only one schema (oneOf)`,
        );
        break;
      case 'anyOf':
        err = fieldError.invalid(field, value, `${field} in body must validate at least one schema (anyOf)`);
        break;
      case 'not':
        err = fieldError.invalid(field, value, `${field} in body must not validate the schema (not)`);
        break;
      case 'additionalProperties':
        err = fieldError.forbidden(
          formatPath([...segments, String(params.additionalProperty)]),
          'field not allowed',
        );
        break;
      default:
        err = fieldError.invalid(field, value, e.message ?? 'invalid');
    }
    const key = `${err.field}|${err.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(err);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Structural checks on a CRD's schema (a subset of what apiextensions validation enforces).

export function structuralProblems(schema: Schema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (s: Schema, at: string, root: boolean) => {
    const intOrString = s['x-kubernetes-int-or-string'] === true;
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    if (s.type === undefined && !intOrString && !preserve) {
      errors.push(fieldError.required(`${at}.type`, 'must not be empty for specified object fields'));
    }
    if (root && s.type !== undefined && s.type !== 'object') {
      errors.push(fieldError.invalid(`${at}.type`, s.type, 'must be object at the root'));
    }
    if (
      s.type !== undefined &&
      !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(s.type)
    ) {
      errors.push(
        fieldError.notSupported(`${at}.type`, s.type, [
          'array',
          'boolean',
          'integer',
          'number',
          'object',
          'string',
        ]),
      );
    }
    if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
      errors.push(
        fieldError.forbidden(
          `${at}.additionalProperties`,
          'additionalProperties and properties are mutual exclusive',
        ),
      );
    }
    if (s.type === 'array' && s.items === undefined) {
      errors.push(fieldError.required(`${at}.items`, 'must be specified'));
    }
    if (s['x-kubernetes-list-type'] === 'map' && (s['x-kubernetes-list-map-keys'] ?? []).length === 0) {
      errors.push(
        fieldError.required(
          `${at}.x-kubernetes-list-map-keys`,
          'must not be empty if x-kubernetes-list-type is map',
        ),
      );
    }
    for (const [name, sub] of Object.entries(s.properties ?? {})) {
      if (root && name === 'metadata') {
        const extra = Object.keys(sub.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
        if (extra.length > 0) {
          errors.push(
            fieldError.forbidden(
              `${at}.properties[metadata]`,
              'must not specify anything other than name and generateName, but metadata is implicitly specified',
            ),
          );
        }
        continue;
      }
      if (isObject(sub)) visit(sub, `${at}.properties[${name}]`, false);
    }
    if (isObject(s.items)) visit(s.items, `${at}.items`, false);
    if (isObject(s.additionalProperties)) visit(s.additionalProperties, `${at}.additionalProperties`, false);
  };
  visit(schema, path, true);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Topology for server-side apply

export type ListTopology = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

export function listTopology(schema: Schema | undefined): ListTopology {
  const type = schema?.['x-kubernetes-list-type'];
  if (type === 'map') return { kind: 'map', keys: schema?.['x-kubernetes-list-map-keys'] ?? [] };
  if (type === 'set') return { kind: 'set' };
  return { kind: 'atomic' };
}

export function childSchema(schema: Schema | undefined, key: string): Schema | undefined {
  if (!schema) return undefined;
  if (schema.properties?.[key]) return schema.properties[key];
  if (isObject(schema.additionalProperties)) return schema.additionalProperties;
  return undefined;
}

export function isAtomicMap(schema: Schema | undefined): boolean {
  return schema?.['x-kubernetes-map-type'] === 'atomic';
}
