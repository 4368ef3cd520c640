import { EXTERNAL_NAMESPACE, type GraphNode, type TopologyGraph } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { meshServices } from '@/lib/external.ts';
import { edgeEnd, endLabel, servicePath } from './edgeEnds.ts';
import { EGRESS_BAND, groupOf, OUTSIDE_MESH } from './flowTypes.ts';
import { layoutGraph } from './reconcile.ts';

const traffic = { requests: 10, errors: 0, rps: 1, successRate: 1, p50: 1, p95: 2, p99: 3 };

function node(namespace: string, service: string, kind: GraphNode['kind'] = 'service'): GraphNode {
  return {
    id: kind === 'unknown' ? 'unknown' : `${namespace}/${service}`,
    service,
    namespace,
    kind,
    versions: [],
    instances: kind === 'service' ? 1 : 0,
    traffic,
    health: 'healthy',
  };
}

const stripe = node(EXTERNAL_NAMESPACE, 'api.stripe.com', 'external');

describe('hosts outside the mesh (egress)', () => {
  it('get their own band, drawn after every namespace', () => {
    const graph: TopologyGraph = {
      schemaVersion: 1,
      window: { fromMs: 0, toMs: 1 },
      nodes: [node('', 'unknown', 'unknown'), node('shop', 'payments'), node('a-first', 'web'), stripe],
      edges: [
        { id: 'u->w', source: 'unknown', target: 'a-first/web', traffic, health: 'healthy' },
        { id: 'w->p', source: 'a-first/web', target: 'shop/payments', traffic, health: 'healthy' },
        { id: 'p->s', source: 'shop/payments', target: stripe.id, traffic, health: 'healthy' },
      ],
    };
    expect(groupOf(stripe)).toBe(EGRESS_BAND);
    expect(layoutGraph(graph).groups).toEqual([OUTSIDE_MESH, 'a-first', 'shop', EGRESS_BAND]);
  });

  it('are named by host, have no service page, and are asked for by their namespace in edge signals', () => {
    expect(endLabel(stripe)).toBe('api.stripe.com');
    expect(servicePath(stripe)).toBeNull();
    expect(edgeEnd(stripe)).toEqual({ namespace: EXTERNAL_NAMESPACE, service: 'api.stripe.com' });
  });

  it('are left out of the services list, even when a list carries no kind', () => {
    const list = [
      { namespace: 'shop', service: 'payments' },
      { namespace: EXTERNAL_NAMESPACE, service: 'api.stripe.com' },
    ];
    expect(meshServices(list)).toEqual([{ namespace: 'shop', service: 'payments' }]);
  });
});
