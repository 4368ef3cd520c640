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
