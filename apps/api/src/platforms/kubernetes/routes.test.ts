import { describe, expect, it } from 'vitest';
import { httpRouteSchema, MESH_CONTROLLER_NAME } from '@weft/schema';
import { attachRoutes } from '../../config-stream/routes.ts';
import type { HttpRouteObject, KubernetesCaches } from './caches.ts';
import { clusterRoutes, HttpRouteReader, parentStatuses } from './routes.ts';

const T0 = '2026-12-01T10:00:00.000Z';
const T1 = '2026-12-01T11:00:00.000Z';

function object(name: string, resourceVersion: string, spec: unknown): HttpRouteObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop', resourceVersion, generation: 1, creationTimestamp: new Date(T0) },
    spec,
  };
}

/** Just the HTTPRoute cache of KubernetesCaches. */
function caches(objects: HttpRouteObject[]): KubernetesCaches {
  return { httpRoutes: { list: () => objects } } as unknown as KubernetesCaches;
}

const good = { parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }], rules: [{ name: 'quote' }] };
const bad = {
  parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
  rules: [{ name: 'Not_A_Label' }],
};

describe('HttpRouteReader', () => {
  it('skips a route it cannot parse, logging it once per resourceVersion', () => {
    const logs: string[] = [];
    const objects = [object('good', '1', good), object('bad', '2', bad)];
    const reader = new HttpRouteReader(caches(objects), (l) => logs.push(l));
    expect(reader.routes().map((r) => r.metadata.name)).toEqual(['good']);
    expect(reader.routes().map((r) => r.metadata.name)).toEqual(['good']);
    expect(logs).toEqual([
      expect.stringMatching(
        /^weft-api: HTTPRoute shop\/bad is skipped \(Weft cannot use it\): spec\.rules\.0\.name: /,
      ),
    ]);
    objects[1] = object('bad', '3', bad);
    reader.routes();
    expect(logs).toHaveLength(2);
    // A Date creationTimestamp (as client-node may hand it over) parses too.
    expect(reader.routes()[0]?.metadata.creationTimestamp).toEqual(new Date(T0));
  });
});

describe('clusterRoutes', () => {
  it('lists routes with a Service parent and the existing Services they attach to', () => {
    const route = httpRouteSchema.parse(
      object('r', '1', {
        parentRefs: [
          { group: '', kind: 'Service', name: 'reviews' },
          { group: '', kind: 'Service', name: 'gone' },
        ],
        rules: [{ name: 'quote', backendRefs: [{ name: 'a', weight: 1 }, { name: 'b' }] }, {}],
      }),
    );
    const gateway = httpRouteSchema.parse(
      object('edge', '1', {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'e' }],
      }),
    );
    expect(clusterRoutes([route, gateway], new Set(['shop/reviews']))).toEqual([
      { namespace: 'shop', name: 'r', services: ['reviews'], ruleNames: ['quote'], hasWeights: true },
    ]);
  });
});

describe('parentStatuses', () => {
  const route = httpRouteSchema.parse(
    object('r', '1', {
      parentRefs: [{ kind: 'Service', name: 'reviews' }],
      rules: [{ backendRefs: [{ name: 'missing' }], filters: [{ type: 'URLRewrite' }] }],
    }),
  );

  it('spells out group and kind, and says what is not applied and which backendRef is missing', () => {
    const [report] = attachRoutes({ routes: [route], services: new Set(['shop/reviews']) }).reports;
    const [entry] = parentStatuses(report!, [], T0);
    expect(entry).toEqual({
      parentRef: { group: '', kind: 'Service', name: 'reviews' },
      controllerName: MESH_CONTROLLER_NAME,
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'attached to Service "reviews"; not applied: rule 0: filters (URLRewrite) are not applied',
          observedGeneration: 1,
          lastTransitionTime: T0,
        },
        {
          type: 'ResolvedRefs',
          status: 'False',
          reason: 'BackendNotFound',
          message:
            'rule 0: backendRef 0 names Service "missing" in namespace "shop", which does not exist; its share of requests is answered 500',
          observedGeneration: 1,
          lastTransitionTime: T0,
        },
      ],
    });
  });

  it('keeps lastTransitionTime for a condition whose status holds', () => {
    const [report] = attachRoutes({ routes: [route], services: new Set(['shop/reviews']) }).reports;
    const before = parentStatuses(report!, [], T0);
    const [later] = attachRoutes({
      routes: [route],
      services: new Set(['shop/reviews', 'shop/missing']),
    }).reports;
    const [entry] = parentStatuses(later!, before, T1);
    expect(entry?.conditions.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ['Accepted', 'True', T0],
      ['ResolvedRefs', 'True', T1],
    ]);
  });
});
