/**
 * Traffic mirroring (Envoy's request mirror policy), outbound after the cache and before retries: for
 * requests that match the MirrorPolicy in force (the matched route rule's, else the destination service's)
 * and win its percentage draw, a copy goes to the mirror backend's endpoints, fire-and-forget
 * (policies/mirror/mirror-sender.ts says what a copy carries and how copies are bounded). The original goes
 * on at once whatever happens to its copy. A request that is itself a copy (`x-weft-mirrored`) is never
 * mirrored again.
 */
import { Headers, type ServicePolicy } from '@weft/schema';
import type { Layer } from '../http/layer.ts';
import { policyForRequest } from '../policies/fault/request-policy.ts';
import { compiledMirror } from '../policies/mirror/mirror-policy.ts';
import type { MirrorSender } from '../policies/mirror/mirror-sender.ts';
import type { RoutingTable } from '../routing/routing-table.ts';
import type { RandomSource } from '../routing/split.ts';

export interface MirrorOptions {
  /** The service policies of the config in force. */
  policies: () => readonly ServicePolicy[] | undefined;
  /** The routing table in force, where the mirror backend's endpoints are. */
  routes: () => RoutingTable | undefined;
  sender: MirrorSender;
  /** Draws which requests are copied; Math.random unless a test fixes the sequence. */
  random?: RandomSource;
}

export function mirror(o: MirrorOptions): Layer {
  const random = o.random ?? Math.random;
  return (next) => (req) => {
    // A copy is never copied again, and a protocol switch (WebSocket handshake) is not a request to replay.
    if (req.headers[Headers.mirrored] !== undefined || req.upgrade !== undefined) return next(req);
    const spec = policyForRequest(req, o.policies(), 'mirror');
    if (spec === undefined) return next(req);
    const m = compiledMirror(spec);
    if (m.matches.test(req.method, req.path, req.headers) && m.draw(random)) {
      o.sender.mirror(req, m, m.subset(o.routes()));
    }
    return next(req);
  };
}
