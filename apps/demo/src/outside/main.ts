/**
 * The demo's services outside the mesh, in one process (no Weft proxy in front of either):
 *   node --import tsx apps/demo/src/outside/main.ts --recommendations 127.0.0.1:15008 --payments-gateway 127.0.0.1:15009
 * recommendations reports its own telemetry with the OpenTelemetry SDK: OTEL_EXPORTER_OTLP_ENDPOINT (the Weft
 * API) and OTEL_EXPORTER_OTLP_HEADERS ("Authorization=Bearer%20<ingest token>") must be set. The payments
 * gateway is a plain third-party stand-in. Prints one line per service, then
 * {"event":"ready","services":{name: "host:port"}}.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { exitWithParent, onShutdownSignal } from '../common/lifecycle.ts';
import { parseHostPort } from '../common/net.ts';
import { RECOMMENDATIONS } from '../topology.ts';
import { startPaymentsGateway } from './payments-gateway.ts';
import { startRecommendations } from './recommendations-server.ts';
import { otlpEnvironmentProblem, otlpPipeline, startSdkTelemetry } from './sdk-telemetry.ts';

const USAGE =
  'usage: node --import tsx apps/demo/src/outside/main.ts --recommendations <host:port> --payments-gateway <host:port>';

function fail(message: string, code = 2): never {
  console.error(`outside: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { recommendations?: string; 'payments-gateway'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        recommendations: { type: 'string' },
        'payments-gateway': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rec = values.recommendations;
  const pay = values['payments-gateway'];
  if (!rec || !pay) fail(`both addresses are required\n${USAGE}`);
  const listen = { recommendations: rec, payments: pay };
  for (const [flag, value] of [
    ['recommendations', rec],
    ['payments-gateway', pay],
  ] as const) {
    try {
      parseHostPort(value);
    } catch (e) {
      fail(`--${flag}: ${(e as Error).message}`);
    }
  }
  const envProblem = otlpEnvironmentProblem(process.env);
  if (envProblem) fail(envProblem);

  const identity = RECOMMENDATIONS.identity;
  const pipeline = otlpPipeline();
  const telemetry = startSdkTelemetry({
    identity,
    instanceId: `${identity.service}-${hostname()}-${process.pid}`,
    spanProcessor: pipeline.spanProcessor,
    metricReader: pipeline.metricReader,
  });
  let recommendations;
  let payments;
  try {
    recommendations = await startRecommendations({ listen: listen.recommendations, telemetry });
    payments = await startPaymentsGateway(listen.payments);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { port?: number };
    await recommendations?.close();
    await telemetry.shutdown();
    fail(
      err.code === 'EADDRINUSE' ? `port ${err.port} is already in use` : `failed to start: ${err.message}`,
      1,
    );
  }
  console.log(
    `outside: recommendations (${identity.namespace}/${identity.service} ${identity.version}, OpenTelemetry SDK → ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}) listening on ${recommendations.address}`,
  );
  console.log(`outside: payments gateway (no telemetry) listening on ${payments.address}`);
  console.log(
    JSON.stringify({
      event: 'ready',
      services: { recommendations: recommendations.address, 'payments-gateway': payments.address },
    }),
  );

  const stop = async (): Promise<void> => {
    await Promise.all([recommendations.close(), payments.close()]);
    // The last spans and the last metric collection still go out.
    await telemetry.shutdown();
  };
  onShutdownSignal(stop);
  exitWithParent(() => {
    console.error('outside: launcher went away, stopping');
    void stop().finally(() => process.exit(0));
  });
}

await main();
