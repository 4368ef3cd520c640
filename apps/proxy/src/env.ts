/** The only place the proxy reads the environment. */
import { TraceSampling } from '@weft/schema';

export interface ProxyEnv {
  /**
   * The workload token (WEFT_PROXY_TOKEN), sent as `Authorization: Bearer <token>` on every
   * control-plane call when set. Never logged.
   */
  controlPlaneToken: string | undefined;
  /** WEFT_APP_READY_PATH: the application's readiness path when --app-ready-path is not given. */
  appReadyPath?: string | undefined;
  /** WEFT_ZONE / WEFT_REGION: where the workload runs, when --zone / --region are not given. */
  zone?: string | undefined;
  region?: string | undefined;
  /** WEFT_TRACE_SAMPLING_PERCENT / WEFT_TRACE_SLOW_THRESHOLD_MS as given, checked where they are used. */
  traceSamplingPercent?: string | undefined;
  traceSlowThresholdMs?: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): ProxyEnv {
  const token = env.WEFT_PROXY_TOKEN?.trim();
  const readyPath = env.WEFT_APP_READY_PATH?.trim();
  const zone = env.WEFT_ZONE?.trim();
  const region = env.WEFT_REGION?.trim();
  const samplingPercent = env[TraceSampling.percentEnv]?.trim();
  const slowThreshold = env[TraceSampling.slowThresholdEnv]?.trim();
  return {
    controlPlaneToken: token ? token : undefined,
    appReadyPath: readyPath ? readyPath : undefined,
    zone: zone ? zone : undefined,
    region: region ? region : undefined,
    traceSamplingPercent: samplingPercent ? samplingPercent : undefined,
    traceSlowThresholdMs: slowThreshold ? slowThreshold : undefined,
  };
}
