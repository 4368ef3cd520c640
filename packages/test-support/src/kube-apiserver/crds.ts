/** What a CustomResourceDefinition makes the server do: its status, and the resource type it serves. */
import { clone, isObject, nowTimestamp, str, type JsonObject } from './json.ts';
import {
  ALL_VERBS,
  compareKubeVersions,
  type PrinterColumn,
  type ResourceType,
  type ResourceVersionInfo,
} from './resources.ts';

function specOf(crd: JsonObject): JsonObject {
  return isObject(crd.spec) ? crd.spec : {};
}

function namesOf(crd: JsonObject): JsonObject {
  const spec = specOf(crd);
  return isObject(spec.names) ? spec.names : {};
}

/** `<group>/<plural>`, the store's key for the type the CRD defines. */
export function crdTypeKey(crd: JsonObject): string {
  return `${str(specOf(crd).group)}/${str(namesOf(crd).plural)}`;
}

/**
 * The status the apiextensions controllers set: NamesAccepted and Established conditions, accepted names,
 * stored versions. Set at once here (the real server sets them a moment after the create).
 */
export function crdStatus(crd: JsonObject, old: JsonObject | undefined, clash: boolean): JsonObject {
  const spec = specOf(crd);
  const names = clone(namesOf(crd));
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const storage = versions.find((v) => v.storage === true);
  const oldStatus = old && isObject(old.status) ? old.status : {};
  const stored = new Set<string>(
    Array.isArray(oldStatus.storedVersions) ? oldStatus.storedVersions.map((v) => str(v)) : [],
  );
  if (storage) stored.add(str(storage.name));
  const now = nowTimestamp();
  const previousConditions = Array.isArray(oldStatus.conditions) ? oldStatus.conditions.filter(isObject) : [];
  const condition = (type: string, status: string, reason: string, message: string): JsonObject => {
    const prev = previousConditions.find((c) => c.type === type);
    const lastTransitionTime = prev && prev.status === status ? str(prev.lastTransitionTime) : now;
    return { type, status, lastTransitionTime, reason, message };
  };
  return {
    conditions: clash
      ? [
          condition('NamesAccepted', 'False', 'ResourceConflict', `"${str(names.plural)}" is already in use`),
          condition('Established', 'False', 'NotAccepted', 'not all names are accepted'),
        ]
      : [
          condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'),
          condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
    acceptedNames: clash ? {} : names,
    storedVersions: [...stored],
  };
}

/** The resource type a CRD serves, or undefined when it serves no version. */
export function typeFromCrd(crd: JsonObject): ResourceType | undefined {
  const spec = specOf(crd);
  const names = namesOf(crd);
  const allVersions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const versions: ResourceVersionInfo[] = [];
  for (const v of allVersions) {
    if (v.served !== true) continue;
    const subresources = isObject(v.subresources) ? v.subresources : {};
    const info: ResourceVersionInfo = { name: str(v.name), statusSubresource: isObject(subresources.status) };
    if (isObject(v.schema) && isObject(v.schema.openAPIV3Schema)) {
      info.schema = clone(v.schema.openAPIV3Schema);
    }
    if (Array.isArray(v.additionalPrinterColumns)) {
      info.printerColumns = clone(v.additionalPrinterColumns) as unknown as PrinterColumn[];
    }
    if (Array.isArray(v.selectableFields)) {
      info.selectableFields = v.selectableFields.filter(isObject).map((f) => str(f.jsonPath));
    }
    versions.push(info);
  }
  if (versions.length === 0) return undefined;
  versions.sort((a, b) => compareKubeVersions(a.name, b.name));
  const storage = allVersions.find((v) => v.storage === true);
  const kind = str(names.kind);
  return {
    group: str(spec.group),
    versions,
    storageVersion: str(storage?.name ?? versions[0]!.name),
    plural: str(names.plural),
    singular: str(names.singular ?? kind.toLowerCase()),
    kind,
    listKind: str(names.listKind ?? `${kind}List`),
    namespaced: spec.scope === 'Namespaced',
    shortNames: Array.isArray(names.shortNames) ? names.shortNames.map((n) => str(n)) : [],
    categories: Array.isArray(names.categories) ? names.categories.map((n) => str(n)) : [],
    verbs: ALL_VERBS,
    statusSubresource: versions.some((v) => v.statusSubresource === true),
    generation: 'nonMetadata',
    // Custom resources need metadata.resourceVersion on update.
    allowUnconditionalUpdate: false,
    nameRule: 'subdomain',
    isCustom: true,
    crdName: isObject(crd.metadata) ? str(crd.metadata.name) : '',
    strategy: {},
  };
}
