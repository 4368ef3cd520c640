import { describe, expect, it } from 'vitest';
import { defaultRetention, retentionSettingSchema } from './telemetry-store.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('WEFT_RETENTION', () => {
  it('keeps the defaults for what it does not name', () => {
    const settings = retentionSettingSchema.parse('10s=2h, spans=7d');
    expect(settings['10s']).toBe(2 * HOUR);
    expect(settings.spans).toBe(7 * DAY);
    expect(settings['1h']).toBe(defaultRetention()['1h']);
    expect(retentionSettingSchema.parse('')).toEqual(defaultRetention());
  });

  it('refuses unknown names, bad durations and retentions under 10 minutes, naming the variable', () => {
    for (const [text, message] of [
      ['5s=1h', 'unknown name "5s"'],
      ['1m=forever', '"1m=forever" must be a duration'],
      ['spans=5m', 'must be kept at least 10m'],
    ] as const) {
      const result = retentionSettingSchema.safeParse(text);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('WEFT_RETENTION');
      expect(result.error?.issues[0]?.message).toContain(message);
    }
  });
});
