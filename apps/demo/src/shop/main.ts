/**
 * The demo shop: every service of the plan in this one process.
 *   node --import tsx apps/demo/src/shop/main.ts --plan '<json>' | --plan plan.json
 * Prints one line per instance and then a machine-readable line: {"event":"ready","instances":{name: "host:port"}}.
 */
import { parseArgs } from 'node:util';
import { exitWithParent, onShutdownSignal } from '../common/lifecycle.ts';
import { loadPlanArgument, PlanError } from './plan.ts';
import { startShop } from './server.ts';

const USAGE = 'usage: node --import tsx apps/demo/src/shop/main.ts --plan <json | file>';

async function main(): Promise<void> {
  let planArg: string | undefined;
  try {
    const { values } = parseArgs({
      options: { plan: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    planArg = values.plan ?? process.env.WEFT_SHOP_PLAN;
  } catch (e) {
    console.error(`shop: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!planArg) {
    console.error(`shop: --plan is required\n${USAGE}`);
    process.exit(2);
  }
  let plan;
  try {
    plan = loadPlanArgument(planArg);
  } catch (e) {
    console.error(`shop: ${e instanceof PlanError ? e.message : String(e)}`);
    process.exit(2);
  }

  let shop;
  try {
    shop = await startShop(plan, {
      onError: (instance, err) => console.error(`shop: error in ${instance}:`, err),
    });
  } catch (e) {
    const err = e as Error & { code?: string; address?: string; port?: number };
    if (err.code === 'EADDRINUSE')
      console.error(`shop: error: port ${err.port} (${err.address}) is already in use`);
    else console.error('shop: error: failed to start:', err);
    process.exit(1);
  }

  for (const i of shop.instances) {
    const p = i.plan;
    console.log(
      `shop: ${p.name} (${p.namespace}/${p.service} ${p.version}) listening on ${i.address}, downstream calls via ${p.outbound}`,
    );
  }
  console.log(
    JSON.stringify({
      event: 'ready',
      instances: Object.fromEntries(shop.instances.map((i) => [i.plan.name, i.address])),
    }),
  );

  const statsTimer = setInterval(() => {
    const parts = shop.instances.map(
      (i) => `${i.plan.name}=${i.stats.requests}/${i.stats.failuresInjected}f`,
    );
    console.log(`shop: requests (total/injected failures): ${parts.join(' ')}`);
  }, 60_000);
  statsTimer.unref();

  const stop = async (): Promise<void> => {
    clearInterval(statsTimer);
    await shop.close(2000);
  };
  onShutdownSignal(stop);
  exitWithParent(() => {
    console.error('shop: launcher went away, stopping');
    void stop().finally(() => process.exit(0));
  });
}

await main();
