/** Turns failures of the layers below into the proxy's own replies: 502, 504, or 500 for bugs. */
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { Logger } from '../log.ts';
import { classifyUpstreamFailure } from '../upstream/upstream-failure.ts';

export function localReplies(log: Logger): Layer {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const failure = classifyUpstreamFailure(err, req.signal.aborted);
      if (failure.kind === 'internal-error') {
        log.error(
          `${req.method} ${req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
      return localReply(req, failure.status, failure.kind, failure.detail);
    }
  };
}
