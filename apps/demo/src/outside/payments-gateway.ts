/**
 * A stand-in for a third-party payments API: plain HTTP, no Weft proxy and no telemetry of its own. The shop's
 * cart calls it through its proxy as egress, so the graph shows it as an external host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseHostPort, sleep } from '../common/net.ts';

export interface PaymentMethod {
  id: string;
  label: string;
}

const CARD: PaymentMethod = { id: 'card', label: 'Credit or debit card' };
const WALLET: PaymentMethod = { id: 'wallet', label: 'Wallet' };
const INVOICE: PaymentMethod = { id: 'invoice', label: 'Pay by invoice' };
/** Invoices only from this amount (cents) up, as payment providers limit them. */
export const INVOICE_MIN_AMOUNT = 5000;

/** What a basket of `amount` cents in `currency` may be paid with. */
export function paymentMethodsFor(currency: string, amount: number): PaymentMethod[] {
  if (currency !== 'EUR') return [CARD];
  return amount >= INVOICE_MIN_AMOUNT ? [CARD, WALLET, INVOICE] : [CARD, WALLET];
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export interface RunningServer {
  address: string;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: any free port, see `address`). `latencyMs` is the "internet" between us. */
export async function startPaymentsGateway(
  listen: string,
  latencyMs: () => number = () => 5 + Math.random() * 15,
): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://payments.invalid');
    if (url.pathname === '/healthz') return reply(res, 200, { status: 'ok' });
    if (url.pathname !== '/v1/payment-methods') return reply(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: 'use GET' });
    const currency = url.searchParams.get('currency') ?? 'EUR';
    const amount = Number(url.searchParams.get('amount') ?? '0');
    if (!Number.isFinite(amount) || amount < 0)
      return reply(res, 400, { error: 'amount must be a non-negative number of cents' });
    void sleep(latencyMs()).then(() => reply(res, 200, { methods: paymentMethodsFor(currency, amount) }));
  });
  server.keepAliveTimeout = 10_000;
  const { host, port } = parseHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: `${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
