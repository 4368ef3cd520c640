/**
 * The versioned graph (`topology.graph` with `granularity: 'version'`), Kiali's "versioned app graph" for
 * canaries: every service seen with more than one version (in traffic or among its live instances) is split
 * into one node per version, `namespace/service@version`, each with the traffic its own proxies received and
 * its own health; the service's node stays as the box around them, with the whole service's numbers. Edges
 * run from the caller's version (or its service, when it is not split) to each version, and each edge into a
 * split service carries its share of that caller's calls to the service, so a 90/10 TrafficSplit reads 0.9
 * and 0.1. Services with one version look exactly as in the service graph.
 *
 * Built on the same traffic and registry appenders as the service graph (topology.ts), in the same single
 * pass over the window's rollups; this module adds the version breakdown on top.
 */
import {
  GRAPH_SCHEMA_VERSION,
  UNKNOWN_SERVICE,
  healthFromTraffic,
  type GraphEdge,
  type GraphNode,
  type TimeWindow,
  type TopologyGraph,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { allInstances, isLive, type LiveInstance } from './instances.ts';
import {
  appendInstances,
  appendTrafficRows,
  emptyDraft,
  finishNode,
  finishTraffic,
  type GraphDraft,
} from './topology.ts';
import { readTotals } from './rollup-reader.ts';
import { TrafficAccumulator, rateSeconds, serviceId, type RollupRow } from './traffic.ts';

/** Calls from one caller (service and version) to one destination version, as the graph draws edges. */
interface CallDraft {
  source: string;
  sourceVersion: string;
  dest: string;
  /** "" when the call never reached a version (the caller's proxy answered itself, no endpoint). */
  destVersion: string;
  traffic: TrafficAccumulator;
}

export interface VersionDraft {
  /** Service id → version → what that version's inbound proxies received. */
  received: Map<string, Map<string, TrafficAccumulator>>;
  /** Service id → version → live instances. */
  instances: Map<string, Map<string, number>>;
  calls: Map<string, CallDraft>;
}

export function emptyVersionDraft(): VersionDraft {
  return { received: new Map(), instances: new Map(), calls: new Map() };
}

const knownVersion = (v: string) => (v && v !== UNKNOWN_SERVICE ? v : '');

export function versionNodeId(service: string, version: string): string {
  return `${service}@${version}`;
}

function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let m = outer.get(key);
  if (!m) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
}

/**
 * Version appender: the same rows as the traffic appender, split by version. Which rows make an edge follows
 * the service graph: the caller's view (outbound), and the destination's for callers outside the mesh.
 */
export function appendVersionRows(draft: VersionDraft, rows: RollupRow[]): void {
  for (const row of rows) {
    const dest = serviceId(row.destNamespace, row.destService);
    const destVersion = knownVersion(row.destVersion);
    const outside = row.sourceService === UNKNOWN_SERVICE;
    if (row.reporter === 'inbound' && destVersion) {
      const received = inner(draft.received, dest);
      let acc = received.get(destVersion);
      if (!acc) {
        acc = new TrafficAccumulator();
        received.set(destVersion, acc);
      }
      acc.add(row);
    }
    if (row.reporter === 'inbound' && !outside) continue;
    const source = outside ? UNKNOWN_SERVICE : serviceId(row.sourceNamespace, row.sourceService);
    const sourceVersion = outside ? '' : knownVersion(row.sourceVersion);
    const key = `${source}\u0000${sourceVersion}\u0000${dest}\u0000${destVersion}`;
    let call = draft.calls.get(key);
    if (!call) {
      call = { source, sourceVersion, dest, destVersion, traffic: new TrafficAccumulator() };
      draft.calls.set(key, call);
    }
    call.traffic.add(row);
  }
}

export function appendVersionInstances(draft: VersionDraft, instances: LiveInstance[], nowMs: number): void {
  for (const inst of instances) {
    if (!isLive(inst, nowMs)) continue;
    const perVersion = inner(draft.instances, serviceId(inst.namespace, inst.service));
    perVersion.set(inst.version, (perVersion.get(inst.version) ?? 0) + 1);
  }
}

/** The part of `requests` in `total`, 0 when there is no total. */
export function shareOf(requests: number, total: number): number {
  return total > 0 ? requests / total : 0;
}

/** Turns the drafts into the graph; `namespaces` filters as in the service graph. */
export function finishVersionGraph(
  draft: GraphDraft,
  versions: VersionDraft,
  window: TimeWindow,
  seconds: number,
  namespaces?: string[],
): TopologyGraph {
  const split = new Set<string>();
  for (const node of draft.nodes.values())
    if (node.kind === 'service' && node.versions.size > 1) split.add(node.id);
  const endpoint = (service: string, version: string) =>
    split.has(service) && version ? versionNodeId(service, version) : service;

  // Edges: calls merged per drawn endpoint pair; shares per (drawn source, destination service).
  const edges = new Map<
    string,
    { source: string; target: string; dest: string; traffic: TrafficAccumulator }
  >();
  const toService = new Map<string, number>();
  for (const call of versions.calls.values()) {
    const source = endpoint(call.source, call.sourceVersion);
    const target = endpoint(call.dest, call.destVersion);
    const id = `${source}->${target}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = { source, target, dest: call.dest, traffic: new TrafficAccumulator() };
      edges.set(id, edge);
    }
    edge.traffic.merge(call.traffic);
    const pair = `${source}->${call.dest}`;
    toService.set(pair, (toService.get(pair) ?? 0) + call.traffic.requests);
  }

  const inScope = (serviceNodeId: string) => {
    if (!namespaces || namespaces.length === 0) return true;
    const node = draft.nodes.get(serviceNodeId);
    return node !== undefined && namespaces.includes(node.namespace);
  };
  const serviceOf = (nodeId: string) => nodeId.split('@')[0] as string;

  const keep = new Set<string>();
  for (const id of draft.nodes.keys()) if (inScope(id)) keep.add(id);
  const graphEdges: GraphEdge[] = [];
  for (const [id, edge] of edges) {
    const sourceService = serviceOf(edge.source);
    if (!inScope(sourceService) && !inScope(edge.dest)) continue;
    keep.add(sourceService).add(edge.dest);
    const traffic = edge.traffic.stats(seconds);
    graphEdges.push({
      id,
      source: edge.source,
      target: edge.target,
      traffic,
      health: healthFromTraffic(traffic.requests, traffic.errors),
      ...(split.has(edge.dest)
        ? { share: shareOf(edge.traffic.requests, toService.get(`${edge.source}->${edge.dest}`) ?? 0) }
        : {}),
    });
  }

  const nodes: GraphNode[] = [];
  for (const node of draft.nodes.values()) {
    if (!keep.has(node.id)) continue;
    nodes.push(finishNode(node, seconds));
    if (!split.has(node.id)) continue;
    const received = versions.received.get(node.id);
    const instances = versions.instances.get(node.id);
    for (const version of node.versions) {
      const traffic = (received?.get(version) ?? new TrafficAccumulator()).stats(seconds);
      nodes.push({
        id: versionNodeId(node.id, version),
        service: node.service,
        namespace: node.namespace,
        kind: 'version',
        version,
        parent: node.id,
        versions: [version],
        instances: instances?.get(version) ?? 0,
        traffic,
        health: healthFromTraffic(traffic.requests, traffic.errors),
      });
    }
  }
  nodes.sort((a, b) => a.id.localeCompare(b.id));
  graphEdges.sort((a, b) => a.id.localeCompare(b.id));
  return { schemaVersion: GRAPH_SCHEMA_VERSION, granularity: 'version', window, nodes, edges: graphEdges };
}

export async function buildVersionTopology(
  db: Db,
  window: TimeWindow,
  nowMs: number,
  namespaces?: string[],
): Promise<TopologyGraph> {
  const draft = emptyDraft();
  const versions = emptyVersionDraft();
  const [totals, instances] = await Promise.all([readTotals(db, window, nowMs), allInstances(db)]);
  appendTrafficRows(draft, totals.rows);
  appendVersionRows(versions, totals.rows);
  finishTraffic(draft);
  appendInstances(draft, instances, nowMs);
  appendVersionInstances(versions, instances, nowMs);
  return finishVersionGraph(
    draft,
    versions,
    totals.window,
    rateSeconds(totals.window, draft.observed, nowMs),
    namespaces,
  );
}
