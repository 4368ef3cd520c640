import { TRPCError } from '@trpc/server';
import {
  UNKNOWN_SERVICE,
  healthFromTraffic,
  type ServiceDetail,
  type ServiceSummary,
  type TimeWindow,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { allInstances, isLive } from './instances.ts';
import { finishNode, graphDraft } from './topology.ts';
import { rateSeconds, serviceId } from './traffic.ts';

export async function listServices(db: Db, window: TimeWindow, nowMs: number): Promise<ServiceSummary[]> {
  const draft = await graphDraft(db, window, nowMs);
  const seconds = rateSeconds(window, draft.observed, nowMs);
  return [...draft.nodes.values()]
    .filter((n) => n.kind === 'service')
    .map((n) => {
      const { kind: _kind, ...summary } = finishNode(n, seconds);
      return summary;
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function serviceDetail(
  db: Db,
  ref: { namespace: string; service: string },
  window: TimeWindow,
  nowMs: number,
): Promise<ServiceDetail> {
  const draft = await graphDraft(db, window, nowMs);
  const id = serviceId(ref.namespace, ref.service);
  const node = draft.nodes.get(id);
  if (!node || node.kind !== 'service' || ref.service === UNKNOWN_SERVICE) {
    throw new TRPCError({ code: 'NOT_FOUND', message: `service ${id} is not known to the mesh` });
  }
  const seconds = rateSeconds(window, draft.observed, nowMs);
  const { kind: _kind, ...summary } = finishNode(node, seconds);
  const instances = (await allInstances(db)).filter(
    (i) => i.namespace === ref.namespace && i.service === ref.service,
  );
  const inbound = [];
  const outbound = [];
  for (const edge of draft.edges.values()) {
    if (edge.target === id) inbound.push({ from: edge.source, traffic: edge.traffic.stats(seconds) });
    if (edge.source === id) outbound.push({ to: edge.target, traffic: edge.traffic.stats(seconds) });
  }
  inbound.sort((a, b) => a.from.localeCompare(b.from));
  outbound.sort((a, b) => a.to.localeCompare(b.to));
  return {
    ...summary,
    health: healthFromTraffic(summary.traffic.requests, summary.traffic.errors),
    instancesList: instances.map((i) => ({
      proxyId: i.proxyId,
      version: i.version,
      inboundAddress: i.inboundAddress,
      adminAddress: i.adminAddress,
      lastSeenMs: i.lastSeenAt.getTime(),
      healthy: isLive(i, nowMs),
    })),
    inbound,
    outbound,
  };
}
