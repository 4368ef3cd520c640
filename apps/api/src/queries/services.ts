import { TRPCError } from '@trpc/server';
import {
  EXTERNAL_NAMESPACE,
  UNKNOWN_SERVICE,
  healthFromTraffic,
  type ServiceDetail,
  type ServiceSummary,
  type TimeWindow,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { allInstances, isLive } from './instances.ts';
import { aliasesOf } from '../ingest/external-aliases.ts';
import { planTotals, readCoverage, readRollups, withAliases, type RollupFilter } from './rollup-reader.ts';
import {
  appendInstances,
  appendTrafficRows,
  emptyDraft,
  finishNode,
  finishTraffic,
  graphDraft,
} from './topology.ts';
import { rateSeconds, serviceId } from './traffic.ts';

export async function listServices(db: Db, window: TimeWindow, nowMs: number): Promise<ServiceSummary[]> {
  const draft = await graphDraft(db, window, nowMs);
  const seconds = rateSeconds(draft.window ?? window, draft.observed, nowMs);
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
  // Only the series that touch this service: what it received and what it called.
  const plan = await planTotals(db, window, nowMs);
  const read = (filter: RollupFilter) =>
    readRollups(db, {
      resolution: plan.resolution,
      fromMs: plan.window.fromMs,
      toMs: plan.window.toMs,
      filter,
      bySeries: true,
    });
  const [received, called, coverage, allLive, ...viaEgress] = await Promise.all([
    read({ destNamespace: ref.namespace, destService: ref.service }),
    read({ reporter: 'outbound', sourceNamespace: ref.namespace, sourceService: ref.service }),
    readCoverage(db, plan),
    allInstances(db),
    // Calls proxies made to it as an external host, for a service outside the mesh that sends its own telemetry.
    ...aliasesOf(db, ref, nowMs).map((host) =>
      read({ reporter: 'outbound', destNamespace: EXTERNAL_NAMESPACE, destService: host }),
    ),
  ]);
  const draft = emptyDraft();
  appendTrafficRows(draft, withAliases(db, [...received, ...called, ...viaEgress.flat()], nowMs));
  finishTraffic(draft);
  appendInstances(
    draft,
    allLive.filter((i) => i.namespace === ref.namespace && i.service === ref.service),
    nowMs,
  );
  const id = serviceId(ref.namespace, ref.service);
  const node = draft.nodes.get(id);
  if (!node || node.kind !== 'service' || ref.service === UNKNOWN_SERVICE) {
    throw new TRPCError({ code: 'NOT_FOUND', message: `service ${id} is not known to the mesh` });
  }
  const seconds = rateSeconds(plan.window, coverage, nowMs);
  const { kind: _kind, ...summary } = finishNode(node, seconds);
  const instances = allLive.filter((i) => i.namespace === ref.namespace && i.service === ref.service);
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
