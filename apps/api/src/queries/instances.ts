import type { Db } from '../db/client.ts';

export interface LiveInstance {
  proxyId: string;
  service: string;
  namespace: string;
  version: string;
  inboundAddress: string;
  adminAddress: string;
  lastSeenAt: Date;
}

/** Instances seen within `ttlMs` of now: the ones the registry still hands out as endpoints. */
export const INSTANCE_TTL_MS = 15_000;

export async function allInstances(db: Db): Promise<LiveInstance[]> {
  return db.serviceInstance.findMany({
    select: {
      proxyId: true,
      service: true,
      namespace: true,
      version: true,
      inboundAddress: true,
      adminAddress: true,
      lastSeenAt: true,
    },
    orderBy: [{ namespace: 'asc' }, { service: 'asc' }, { proxyId: 'asc' }],
  });
}

export function isLive(instance: LiveInstance, nowMs: number): boolean {
  return instance.lastSeenAt.getTime() > nowMs - INSTANCE_TTL_MS;
}
