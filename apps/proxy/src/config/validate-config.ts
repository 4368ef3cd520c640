/**
 * What of a ProxyConfig may be put in force. Structural problems (not an object, no version, services not
 * a list) refuse the whole config. Anything else is judged entry by entry with the shared rules of
 * `@weft/schema` (net.ts): a service whose name or namespace is not a DNS label is left out with its
 * endpoints, an endpoint whose address, proxy id or version is bad is left out alone, and the rest is
 * applied — so one bad registration cannot freeze the config of every proxy in the mesh.
 */
import {
  advertisedHostPort,
  dnsLabelSchema,
  proxyIdSchema,
  versionNameSchema,
  type Endpoint,
  type ProxyConfig,
  type ServiceEndpoints,
} from '@weft/schema';

/** One part of a config that was left out, and why. */
export interface RefusedEntry {
  /** Where it was in the config as received: "services.2" or "services.2.endpoints.0". */
  path: string;
  /** What it was, independent of its position: `endpoint "c-1" (x/y:80) of catalog.shop`. */
  entry: string;
  reason: string;
}

export type ConfigCheck =
  | { ok: true; config: ProxyConfig; refused: RefusedEntry[] }
  | { ok: false; version: string | undefined; reason: string };

/** The shape of a zod schema's safeParse, so the proxy needs no direct zod import. */
interface Checker {
  safeParse(value: unknown): { success: boolean; error?: { issues: readonly { message: string }[] } };
}

function problemOf(schema: Checker, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : (result.error?.issues[0]?.message ?? 'is not valid');
}

const EXPECTED =
  'expected {"version": "1", "services": [{"name", "namespace", "endpoints": [{"proxyId", "address": "host:port", "version"}]}]}';

export function checkConfig(raw: unknown): ConfigCheck {
  if (!isRecord(raw))
    return { ok: false, version: undefined, reason: `(root): not a JSON object (${EXPECTED})` };
  const version = typeof raw.version === 'string' ? raw.version : undefined;
  if (version === undefined || version === '') {
    return { ok: false, version, reason: `version: must be a non-empty string (${EXPECTED})` };
  }
  if (!Array.isArray(raw.services)) {
    return { ok: false, version, reason: `services: must be a list of services (${EXPECTED})` };
  }

  const refused: RefusedEntry[] = [];
  const services: ServiceEndpoints[] = [];
  raw.services.forEach((s: unknown, i) => {
    const path = `services.${i}`;
    if (!isRecord(s)) {
      refused.push({ path, entry: `service ${show(s)}`, reason: 'not a JSON object' });
      return;
    }
    const name = `${show(s.name)}.${show(s.namespace)}`;
    const problem =
      field('name', problemOf(dnsLabelSchema, s.name)) ??
      field('namespace', problemOf(dnsLabelSchema, s.namespace)) ??
      (Array.isArray(s.endpoints) ? undefined : 'endpoints: must be a list');
    if (problem !== undefined) {
      refused.push({ path, entry: `service ${name}`, reason: problem });
      return;
    }
    const endpoints: Endpoint[] = [];
    (s.endpoints as unknown[]).forEach((e, j) => {
      const at = `${path}.endpoints.${j}`;
      if (!isRecord(e)) {
        refused.push({ path: at, entry: `endpoint ${show(e)} of ${name}`, reason: 'not a JSON object' });
        return;
      }
      const bad =
        field('address', problemOf(advertisedHostPort, e.address)) ??
        field('proxyId', problemOf(proxyIdSchema, e.proxyId)) ??
        field('version', problemOf(versionNameSchema, e.version));
      if (bad !== undefined) {
        refused.push({
          path: at,
          entry: `endpoint ${show(e.proxyId)} (${show(e.address)}) of ${name}`,
          reason: bad,
        });
        return;
      }
      endpoints.push({
        proxyId: e.proxyId as string,
        address: e.address as string,
        version: e.version as string,
      });
    });
    services.push({ name: s.name as string, namespace: s.namespace as string, endpoints });
  });
  return { ok: true, config: { version, services }, refused };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function field(name: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${name}: ${problem}`;
}

/** A value as it appears in a log line: strings as they are, anything else as JSON, both capped. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
