/** The only place the proxy reads the environment. */
export interface ProxyEnv {
  /** Sent as `x-weft-proxy-token` on every control-plane call when set. */
  controlPlaneToken: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): ProxyEnv {
  const token = env.WEFT_PROXY_TOKEN?.trim();
  return { controlPlaneToken: token ? token : undefined };
}
