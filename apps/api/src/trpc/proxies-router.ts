/**
 * The live proxies and where each stands with its config: the version last sent, the version it ACKed
 * (and when), and its last NACK. From the config stream's in-memory state (config-stream/hub.ts), so it
 * starts empty after an API restart and fills as proxies answer again.
 */
import type { ProxyConfigRow } from '../config-stream/hub.ts';
import { router, viewerProcedure } from './trpc.ts';

export const proxiesRouter = router({
  list: viewerProcedure.query(({ ctx }): Promise<ProxyConfigRow[]> => ctx.configStream.list()),
});
