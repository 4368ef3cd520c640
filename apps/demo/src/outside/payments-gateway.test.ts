import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INVOICE_MIN_AMOUNT,
  paymentMethodsFor,
  startPaymentsGateway,
  type RunningServer,
} from './payments-gateway.ts';

describe('paymentMethodsFor', () => {
  it('offers invoices only from the minimum amount up, and only cards outside the euro', () => {
    expect(paymentMethodsFor('EUR', INVOICE_MIN_AMOUNT - 1).map((m) => m.id)).toEqual(['card', 'wallet']);
    expect(paymentMethodsFor('EUR', INVOICE_MIN_AMOUNT).map((m) => m.id)).toEqual([
      'card',
      'wallet',
      'invoice',
    ]);
    expect(paymentMethodsFor('USD', 100_000).map((m) => m.id)).toEqual(['card']);
  });
});

describe('the payments gateway stand-in', () => {
  let gateway: RunningServer;
  beforeAll(async () => {
    gateway = await startPaymentsGateway('127.0.0.1:0', () => 0);
  });
  afterAll(() => gateway?.close());

  const get = async (path: string) => {
    const res = await fetch(`http://${gateway.address}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers the payment methods of an amount', async () => {
    const r = await get(`/v1/payment-methods?currency=EUR&amount=${INVOICE_MIN_AMOUNT}`);
    expect(r.status).toBe(200);
    expect((r.body.methods as { id: string }[]).map((m) => m.id)).toEqual(['card', 'wallet', 'invoice']);
  });

  it('refuses a bad amount and unknown paths', async () => {
    expect(await get('/v1/payment-methods?amount=-1')).toEqual({
      status: 400,
      body: { error: 'amount must be a non-negative number of cents' },
    });
    expect((await get('/v2/anything')).status).toBe(404);
    expect((await get('/healthz')).body).toEqual({ status: 'ok' });
  });
});
