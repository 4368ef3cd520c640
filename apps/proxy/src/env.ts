/** The only place the proxy reads the environment. */
export interface ProxyEnv {
  /**
   * The workload token (WEFT_PROXY_TOKEN), sent as `Authorization: Bearer <token>` on every
   * control-plane call when set. Never logged.
   */
  controlPlaneToken: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): ProxyEnv {
  const token = env.WEFT_PROXY_TOKEN?.trim();
  return { controlPlaneToken: token ? token : undefined };
}
