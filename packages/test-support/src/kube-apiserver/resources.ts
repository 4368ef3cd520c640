/** What the server serves: resource types (built-in and from CRDs), with the per-type behaviour the store applies. */
import type { FieldError } from './errors.ts';
import type { JsonObject } from './json.ts';
import { compileValidator, type CompiledValidator, type Schema } from './structural.ts';

export type GenerationPolicy =
  /** no metadata.generation (Services, ConfigMaps, Namespaces) */
  | 'none'
  /** bumped when .spec changes */
  | 'spec'
  /** bumped when .spec or metadata.annotations change (Deployments) */
  | 'specOrAnnotations'
  /** bumped when anything but metadata changes (custom resources, EndpointSlices) */
  | 'nonMetadata';

export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** Hooks the store calls around writes; context gives access to the store's state where a type needs it. */
export interface Strategy {
  /** Defaults and server-set fields on create (after status is cleared). */
  prepareForCreate?(obj: JsonObject, ctx: StrategyContext): void;
  /** Fills what a client may leave out on update (e.g. an allocated clusterIP). */
  prepareForUpdate?(obj: JsonObject, old: JsonObject, ctx: StrategyContext): void;
  validate?(obj: JsonObject): FieldError[];
  validateUpdate?(obj: JsonObject, old: JsonObject): FieldError[];
  /** Extra field-selector labels and their values for an object. */
  fieldAttrs?(obj: JsonObject): Record<string, string>;
  /** `DELETE` answers the deleted object (true) or a Status Success (false). */
  deleteReturnsObject?: boolean;
  /** Names that may not be deleted (403 Forbidden), e.g. the default namespace. */
  undeletable?: readonly string[];
}

export interface StrategyContext {
  usedClusterIPs(): Set<string>;
  usedNodePorts(): Set<number>;
}

export interface ResourceVersionInfo {
  name: string;
  schema?: Schema;
  /** Per-version status subresource (CRDs declare subresources per version); defaults to the type's. */
  statusSubresource?: boolean;
  printerColumns?: PrinterColumn[];
  selectableFields?: string[];
}

export interface ResourceType {
  group: string;
  /** Served versions, most preferred first. */
  versions: ResourceVersionInfo[];
  storageVersion: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  statusSubresource: boolean;
  generation: GenerationPolicy;
  allowUnconditionalUpdate: boolean;
  nameRule: NameRule;
  /** Custom resources drop unknown fields (structural pruning); built-ins here keep what their partial schema does not describe. */
  isCustom: boolean;
  /** The CRD that defines this type. */
  crdName?: string;
  strategy: Strategy;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function resourceKey(t: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${t.group}/${t.plural}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function hasStatusSubresource(t: ResourceType, version: string): boolean {
  return versionInfo(t, version)?.statusSubresource ?? t.statusSubresource;
}

export function versionInfo(t: ResourceType, version: string): ResourceVersionInfo | undefined {
  return t.versions.find((v) => v.name === version);
}

const validators = new WeakMap<Schema, CompiledValidator>();
export function validatorFor(schema: Schema): CompiledValidator {
  let v = validators.get(schema);
  if (!v) {
    v = compileValidator(schema);
    validators.set(schema, v);
  }
  return v;
}

/**
 * Kubernetes version priority (k8s.io/apimachinery/pkg/version.CompareKubeAwareVersionStrings):
 * GA before beta before alpha, higher major/minor first; non-Kubernetes-looking versions last, alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return {
      major: Number(m[1]),
      stage: m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0,
      minor: Number(m[3] ?? 0),
    };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return a.localeCompare(b);
  if (!pa) return 1;
  if (!pb) return -1;
  if (pa.stage !== pb.stage) return pb.stage - pa.stage;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}
