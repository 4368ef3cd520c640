/** Connection-scoped fields stop here, in both directions (RFC 9110 §7.6.1). */
import { withoutHopByHop } from '../http/hop-by-hop.ts';
import type { Layer } from '../http/layer.ts';

export function hopByHop(): Layer {
  return (next) => async (req) => {
    req.headers = withoutHopByHop(req.headers);
    const res = await next(req);
    res.headers = withoutHopByHop(res.headers);
    return res;
  };
}
