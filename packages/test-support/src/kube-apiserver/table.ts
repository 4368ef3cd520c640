/**
 * `meta.k8s.io/v1` Table responses (what `kubectl get` asks for): the server-side printing of the real API
 * server for the columns kubectl shows by default, and additionalPrinterColumns for custom resources.
 */
import { isObject, str, type Json, type JsonObject } from './json.ts';
import type { PrinterColumn, ResourceType } from './resources.ts';
import { simpleJsonPath } from './store.ts';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  value(obj: JsonObject): Json;
}

export function age(timestamp: Json | undefined, now = Date.now()): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 730) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

const at = (obj: Json | undefined, ...path: string[]): Json | undefined => {
  let current = obj;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
};

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
  value: (o) => str(at(o, 'metadata', 'name') ?? ''),
};

const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  value: (o) => age(at(o, 'metadata', 'creationTimestamp')),
};

const col = (name: string, value: (o: JsonObject) => Json, priority = 0, type = 'string'): Column => ({
  name,
  type,
  format: '',
  description: '',
  priority,
  value,
});

function servicePorts(o: JsonObject): string {
  const ports = at(o, 'spec', 'ports');
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .filter(isObject)
    .map((p) => `${str(p.port)}${p.nodePort ? `:${str(p.nodePort)}` : ''}/${str(p.protocol ?? 'TCP')}`)
    .join(',');
}

function builtinColumns(t: ResourceType): Column[] {
  switch (`${t.group}/${t.plural}`) {
    case '/pods':
      return [
        nameColumn,
        col('Ready', (o) => {
          const statuses = at(o, 'status', 'containerStatuses');
          const containers = at(o, 'spec', 'containers');
          const total = Array.isArray(containers) ? containers.length : 0;
          const ready = Array.isArray(statuses)
            ? statuses.filter((s) => isObject(s) && s.ready === true).length
            : 0;
          return `${ready}/${total}`;
        }),
        col('Status', (o) => str(at(o, 'status', 'phase') ?? 'Unknown')),
        col(
          'Restarts',
          (o) => {
            const statuses = at(o, 'status', 'containerStatuses');
            return Array.isArray(statuses)
              ? statuses.reduce<number>((n, s) => n + Number(at(s, 'restartCount') ?? 0), 0)
              : 0;
          },
          0,
          'string',
        ),
        ageColumn,
        col('IP', (o) => str(at(o, 'status', 'podIP') ?? '<none>'), 1),
        col('Node', (o) => str(at(o, 'spec', 'nodeName') ?? '<none>'), 1),
      ];
    case '/services':
      return [
        nameColumn,
        col('Type', (o) => str(at(o, 'spec', 'type') ?? '')),
        col('Cluster-IP', (o) => str(at(o, 'spec', 'clusterIP') ?? '<none>')),
        col('External-IP', (o) => {
          const external = at(o, 'spec', 'externalIPs');
          if (at(o, 'spec', 'type') === 'ExternalName') return str(at(o, 'spec', 'externalName') ?? '<none>');
          return Array.isArray(external) && external.length > 0
            ? external.map((e) => str(e)).join(',')
            : '<none>';
        }),
        col('Port(s)', servicePorts),
        ageColumn,
        col(
          'Selector',
          (o) => {
            const selector = at(o, 'spec', 'selector');
            return isObject(selector) && Object.keys(selector).length > 0
              ? Object.entries(selector)
                  .map(([k, v]) => `${k}=${str(v)}`)
                  .join(',')
              : '<none>';
          },
          1,
        ),
      ];
    case 'apps/deployments':
      return [
        nameColumn,
        col(
          'Ready',
          (o) => `${Number(at(o, 'status', 'readyReplicas') ?? 0)}/${Number(at(o, 'spec', 'replicas') ?? 0)}`,
        ),
        col('Up-to-date', (o) => Number(at(o, 'status', 'updatedReplicas') ?? 0), 0, 'integer'),
        col('Available', (o) => Number(at(o, 'status', 'availableReplicas') ?? 0), 0, 'integer'),
        ageColumn,
      ];
    case '/namespaces':
      return [nameColumn, col('Status', (o) => str(at(o, 'status', 'phase') ?? '')), ageColumn];
    case '/configmaps':
      return [
        nameColumn,
        col(
          'Data',
          (o) =>
            Object.keys(isObject(o.data) ? o.data : {}).length +
            Object.keys(isObject(o.binaryData) ? o.binaryData : {}).length,
          0,
          'integer',
        ),
        ageColumn,
      ];
    case 'discovery.k8s.io/endpointslices':
      return [
        nameColumn,
        col('AddressType', (o) => str(o.addressType ?? '')),
        col('Ports', (o) => {
          const ports = Array.isArray(o.ports) ? o.ports.filter(isObject) : [];
          return ports.length === 0 ? '<unset>' : ports.map((p) => str(p.port ?? '<unset>')).join(',');
        }),
        col('Endpoints', (o) => {
          const eps = Array.isArray(o.endpoints) ? o.endpoints.filter(isObject) : [];
          const addresses = eps.flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []));
          if (addresses.length === 0) return '<unset>';
          return addresses.length > 3
            ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...`
            : addresses.join(',');
        }),
        ageColumn,
      ];
    case 'apiextensions.k8s.io/customresourcedefinitions':
      return [
        nameColumn,
        col('Created At', (o) => str(at(o, 'metadata', 'creationTimestamp') ?? ''), 0, 'date'),
      ];
    default:
      return [nameColumn, ageColumn];
  }
}

function customColumns(columns: PrinterColumn[] | undefined): Column[] {
  const declared = columns ?? [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return [
    nameColumn,
    ...declared.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
      value: (o: JsonObject): Json => {
        const v = simpleJsonPath(o, c.jsonPath);
        if (v === undefined || v === null) return null;
        if (c.type === 'date') return age(v);
        if (isObject(v) || Array.isArray(v)) return JSON.stringify(v);
        return v;
      },
    })),
  ];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(
  t: ResourceType,
  printerColumns: PrinterColumn[] | undefined,
  objects: JsonObject[],
  listMeta: JsonObject,
  include: IncludeObject,
): JsonObject {
  const columns = t.isCustom ? customColumns(printerColumns) : builtinColumns(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(({ name, type, format, description, priority }) => ({
      name,
      type,
      format,
      description,
      priority,
    })),
    rows: objects.map((o) => {
      const row: JsonObject = { cells: columns.map((c) => c.value(o)) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') {
        row.object = {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata ?? {},
        };
      }
      return row;
    }),
  };
}
