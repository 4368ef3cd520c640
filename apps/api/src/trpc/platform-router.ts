/** Which platform the API runs on, so the console can say where policies live. */
import { router, viewerProcedure } from './trpc.ts';

export interface PlatformInfo {
  platform: 'universal' | 'kubernetes';
  /** The Kubernetes API server, in Kubernetes mode. */
  server?: string;
}

export const platformRouter = router({
  info: viewerProcedure.query(({ ctx }): PlatformInfo => {
    const server = (ctx.policies as { server?: unknown }).server;
    return ctx.policies.name === 'kubernetes' && typeof server === 'string'
      ? { platform: 'kubernetes', server }
      : { platform: ctx.policies.name };
  }),
});
