/**
 * The services part of validate()'s ClusterView in universal mode, from the registry: a version's instance
 * count is the number of live endpoints proxies are sent for it (the registry's TTL and its warm-up after a
 * restart apply), and versions that only have expired registrations are listed with 0 instances, so "no
 * instances" (WEFT2002) and "no such version" (WEFT2005) stay distinct.
 */
import type { ClusterService } from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { ServiceRegistry } from '../registry/registry.ts';

export async function registryServices(
  db: Db,
  registry: Pick<ServiceRegistry, 'currentConfig'>,
): Promise<ClusterService[]> {
  const [config, known] = await Promise.all([
    registry.currentConfig(),
    db.serviceInstance.groupBy({ by: ['namespace', 'service', 'version'] }),
  ]);
  const services = new Map<string, ClusterService>();
  const versionsOf = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    let service = services.get(key);
    if (!service) {
      service = { namespace, name, versions: [] };
      services.set(key, service);
    }
    return service.versions;
  };
  for (const row of known) {
    const versions = versionsOf(row.namespace, row.service);
    if (!versions.some((v) => v.version === row.version))
      versions.push({ version: row.version, instances: 0 });
  }
  for (const service of config.services) {
    const versions = versionsOf(service.namespace, service.name);
    for (const endpoint of service.endpoints) {
      const entry = versions.find((v) => v.version === endpoint.version);
      if (entry) entry.instances++;
      else versions.push({ version: endpoint.version, instances: 1 });
    }
  }
  return [...services.values()];
}
