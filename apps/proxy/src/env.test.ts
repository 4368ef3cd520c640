import { describe, expect, it } from 'vitest';
import { readEnv } from './env.ts';

describe('readEnv', () => {
  it('reads the zone and region, trimmed, and leaves empty ones out', () => {
    expect(readEnv({ WEFT_ZONE: ' eu-1a ', WEFT_REGION: 'eu-1' })).toMatchObject({
      zone: 'eu-1a',
      region: 'eu-1',
    });
    expect(readEnv({ WEFT_ZONE: '', WEFT_REGION: '  ' })).toMatchObject({
      zone: undefined,
      region: undefined,
    });
  });

  it('reads the application readiness path, trimmed; empty means none', () => {
    expect(readEnv({ WEFT_APP_READY_PATH: ' /healthz ' }).appReadyPath).toBe('/healthz');
    expect(readEnv({ WEFT_APP_READY_PATH: ' ' }).appReadyPath).toBeUndefined();
    expect(readEnv({}).appReadyPath).toBeUndefined();
  });
});

describe('readEnv: trace sampling', () => {
  it('reads the sampling percentage and slow threshold as given, trimmed; empty means none', () => {
    expect(
      readEnv({ WEFT_TRACE_SAMPLING_PERCENT: ' 10 ', WEFT_TRACE_SLOW_THRESHOLD_MS: '500' }),
    ).toMatchObject({ traceSamplingPercent: '10', traceSlowThresholdMs: '500' });
    expect(readEnv({ WEFT_TRACE_SAMPLING_PERCENT: ' ' }).traceSamplingPercent).toBeUndefined();
  });
});
