/** Connection-scoped fields stop here, in both directions (RFC 9110 §7.6.1). */
import { stripHopByHop } from '../http/hop-by-hop.ts';
import type { Layer } from '../http/layer.ts';

export function hopByHop(): Layer {
  return (next) => async (req) => {
    stripHopByHop(req.headers);
    const res = await next(req);
    stripHopByHop(res.headers);
    return res;
  };
}
