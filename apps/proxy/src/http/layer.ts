/**
 * A handler answers a request; a layer wraps a handler in one more behaviour (tower's Layer, undici's
 * interceptor). Request-side work runs outermost first, response-side work in reverse, as in Envoy's
 * filter chain. Stacks are written down in src/stacks/.
 */
import type { ProxyRequest, ProxyResponse } from './exchange.ts';

export type Handler = (req: ProxyRequest) => Promise<ProxyResponse>;
export type Layer = (next: Handler) => Handler;

/** `stack([a, b, c], terminal)` handles a request as a(b(c(terminal))): `a` sees it first. */
export function stack(layers: readonly Layer[], terminal: Handler): Handler {
  let handler = terminal;
  for (let i = layers.length - 1; i >= 0; i--) handler = (layers[i] as Layer)(handler);
  return handler;
}
