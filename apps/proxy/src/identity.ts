/** Who a workload is, as the mesh names it: service, namespace and version ("name.namespace@version"). */
import { isDnsLabel, isVersionName, UNKNOWN_SERVICE } from '@weft/schema';

export interface WorkloadIdentity {
  readonly service: string;
  readonly namespace: string;
  readonly version: string;
}

/** Callers outside the mesh, and destinations the proxy could not name. */
export const UNKNOWN_IDENTITY: WorkloadIdentity = Object.freeze({
  service: UNKNOWN_SERVICE,
  namespace: UNKNOWN_SERVICE,
  version: UNKNOWN_SERVICE,
});

export function formatIdentity(id: WorkloadIdentity): string {
  return `${id.service}.${id.namespace}@${id.version}`;
}

/** Parses "name.namespace@version"; undefined when the value is absent or malformed. */
export function parseIdentity(value: string | string[] | undefined): WorkloadIdentity | undefined {
  if (typeof value !== 'string') return undefined;
  const at = value.lastIndexOf('@');
  if (at <= 0) return undefined;
  const name = value.slice(0, at);
  const version = value.slice(at + 1);
  const dot = name.indexOf('.');
  if (dot <= 0) return undefined;
  const service = name.slice(0, dot);
  const namespace = name.slice(dot + 1);
  if (!isDnsLabel(service) || !isDnsLabel(namespace) || !isVersionName(version)) return undefined;
  return { service, namespace, version };
}
