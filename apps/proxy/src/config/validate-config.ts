/**
 * Whether a ProxyConfig may be put in force: the shared zod schema plus what the data path needs that
 * the schema cannot say (endpoint addresses must be host:port, service names must be resolvable).
 */
import { proxyConfigSchema, type ProxyConfig } from '@weft/schema';
import { parseHostPort } from '../cli/host-port.ts';
import { isDnsLabel } from '../identity.ts';

export type ConfigCheck =
  { ok: true; config: ProxyConfig } | { ok: false; version: string | undefined; reason: string };

export function checkConfig(raw: unknown): ConfigCheck {
  const version = versionOf(raw);
  const parsed = proxyConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, version, reason: formatIssues(parsed.error) };
  const problems: string[] = [];
  parsed.data.services.forEach((s, i) => {
    if (!isDnsLabel(s.name)) problems.push(`services.${i}.name: "${s.name}" is not a DNS label`);
    if (!isDnsLabel(s.namespace))
      problems.push(`services.${i}.namespace: "${s.namespace}" is not a DNS label`);
    s.endpoints.forEach((e, j) => {
      try {
        parseHostPort(e.address);
      } catch (err) {
        problems.push(`services.${i}.endpoints.${j}.address: ${(err as Error).message}`);
      }
    });
  });
  if (problems.length > 0) return { ok: false, version, reason: problems.slice(0, 5).join('; ') };
  return { ok: true, config: parsed.data };
}

function versionOf(raw: unknown): string | undefined {
  if (raw !== null && typeof raw === 'object' && 'version' in raw) {
    const v = raw.version;
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** zod's issues as one line: `path: message; ...` (structural, so the proxy needs no direct zod import). */
export function formatIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
