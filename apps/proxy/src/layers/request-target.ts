/**
 * Normalises the request target: an absolute-form `GET http://catalog.shop/items` (an HTTP_PROXY-style
 * client) becomes origin-form `/items` with `Host: catalog.shop`, as RFC 9112 §3.2.2 asks of a proxy.
 */
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import { parseRequestTarget } from '../http/request-target.ts';

export function requestTarget(): Layer {
  return (next) => (req) => {
    const host = typeof req.headers.host === 'string' ? req.headers.host : undefined;
    const target = parseRequestTarget(req.path, host, req.method);
    if (target === null) {
      return Promise.resolve(
        localReply(
          req,
          400,
          'bad-request',
          `cannot forward request target "${req.path.slice(0, 200)}": only http:// URLs, paths and OPTIONS * are supported`,
        ),
      );
    }
    if (target.authority !== host && target.authority !== undefined) req.headers.host = target.authority;
    req.path = target.path;
    req.authority = target.authority;
    return next(req);
  };
}
