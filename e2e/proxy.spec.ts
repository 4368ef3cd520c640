/** The console's /trpc route forwards to the API unchanged: method, query string, body, status and content type. */
import { expect, test } from '@playwright/test';

const WINDOW = encodeURIComponent(JSON.stringify({ window: { lastMs: 300_000 } }));

test('GET queries pass through with their status and content type', async ({ request }) => {
  const ok = await request.get(`/trpc/services.list?input=${WINDOW}`);
  expect(ok.status()).toBe(200);
  expect(ok.headers()['content-type']).toContain('application/json');
  const body = (await ok.json()) as { result: { data: { id: string }[] } };
  expect(body.result.data.map((s) => s.id)).toContain('shop/catalog');

  // The API's own validation error comes back as is (400, with the zod details).
  const bad = await request.get(
    `/trpc/traces.get?input=${encodeURIComponent(JSON.stringify({ traceId: 'nope' }))}`,
  );
  expect(bad.status()).toBe(400);
  const err = (await bad.json()) as { error: { message: string; data: { code: string } } };
  expect(err.error.data.code).toBe('BAD_REQUEST');
  expect(err.error.message).toContain('traceId');
});

test('batched GETs keep their query string and answer per call', async ({ request }) => {
  const input = encodeURIComponent(
    JSON.stringify({ 0: { window: { lastMs: 300_000 } }, 1: { window: { lastMs: 300_000 } } }),
  );
  const res = await request.get(`/trpc/services.list,topology.graph?batch=1&input=${input}`);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { result: { data: unknown } }[];
  expect(body).toHaveLength(2);
  expect((body[1]!.result.data as { schemaVersion: number }).schemaVersion).toBe(1);
});

test('POST bodies are forwarded (an unknown mutation is the API answering, not the proxy)', async ({
  request,
}) => {
  const res = await request.post('/trpc/services.list', { data: { window: { lastMs: 300_000 } } });
  // services.list is a query: tRPC answers 405 for POST — proof that the request reached the API with its method.
  expect(res.status()).toBe(405);
  expect(res.headers()['content-type']).toContain('application/json');
});
