import { EnvError, loadEnv } from './env.ts';
import { ListenError, startApi } from './app.ts';

async function main(): Promise<void> {
  const env = loadEnv();
  const api = await startApi(env);
  console.log(`weft-api listening on ${api.url} (${api.provider}: ${api.location})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`weft-api: ${signal} received, shutting down`);
    api.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`weft-api: shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof EnvError || err instanceof ListenError) {
    console.error(`weft-api: ${err.message}`);
    process.exit(2);
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`weft-api: failed to start: ${message}`);
  process.exit(1);
});
