/**
 * The console's API, assembled from one router per area. Only the `AppRouter` type leaves this package
 * (to apps/web).
 */
import { router } from './trpc.ts';
import { queryRouters } from './queries-router.ts';
import { authRouter, tokensRouter, usersRouter } from './admin-router.ts';
import { policiesRouter } from './policies-router.ts';
import { proxiesRouter } from './proxies-router.ts';
import { platformRouter } from './platform-router.ts';

export const appRouter = router({
  ...queryRouters,
  auth: authRouter,
  tokens: tokensRouter,
  users: usersRouter,
  policies: policiesRouter,
  proxies: proxiesRouter,
  platform: platformRouter,
});

export type AppRouter = typeof appRouter;
