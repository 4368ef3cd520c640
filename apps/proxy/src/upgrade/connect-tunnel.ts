/**
 * The terminal of a CONNECT (egress of HTTPS and other TCP through the outbound listener): a TCP connection
 * to `req.upstream`; once it is up, the answer is 200 and the socket is left on `req.upgrade` for the
 * listener to join with the client's (upgrade/tunnel.ts), one exchange lasting as long as the tunnel. A
 * connection that fails or takes longer than CONNECT_TIMEOUT_MS is thrown as an upstream failure (502/504).
 */
import net from 'node:net';
import { parseHostPort } from '@weft/schema';
import type { Handler } from '../http/layer.ts';
import { UpstreamError } from '../upstream/upstream-failure.ts';

/** As the upstream pools' connect timeout. */
export const CONNECT_TIMEOUT_MS = 5_000;

export function connectTunnel(): Handler {
  return (req) => {
    const upstream = req.upstream;
    const upgrade = req.upgrade;
    if (upstream === undefined || upgrade === undefined)
      throw new Error('connectTunnel without a CONNECT target');
    const { host, port } = parseHostPort(upstream);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        cancel();
        return true;
      };
      const fail = (err: unknown): void => {
        if (!settle()) return;
        socket.destroy();
        reject(new UpstreamError(upstream, err));
      };
      const timer = setTimeout(
        () => fail(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
        CONNECT_TIMEOUT_MS,
      );
      const cancel = req.signal.whenAborted(() =>
        fail(Object.assign(new Error('client closed the request'), { code: 'UND_ERR_ABORTED' })),
      );
      socket.once('error', fail);
      socket.once('connect', () => {
        if (!settle()) return;
        socket.off('error', fail);
        upgrade.upstream = { socket, head: Buffer.alloc(0) };
        resolve({ status: 200, headers: {}, body: null });
      });
    });
  };
}
