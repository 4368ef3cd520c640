import { describe, expect, it } from 'vitest';
import { loadEnv } from '../env.ts';
import { parseHeaderList, signalUrl } from './otlp-export-config.ts';

describe('signalUrl', () => {
  it('appends /v1/<signal> to the base endpoint as OTEL_EXPORTER_OTLP_ENDPOINT does', () => {
    expect(signalUrl('http://collector:4318', 'traces')).toBe('http://collector:4318/v1/traces');
    expect(signalUrl('https://otlp.example.com/tenant/a/', 'metrics')).toBe(
      'https://otlp.example.com/tenant/a/v1/metrics',
    );
  });
});

describe('parseHeaderList', () => {
  it('reads k=v pairs, trims them and percent-decodes values', () => {
    expect(parseHeaderList(' api-key = s3cr%3Dt , x-tenant=shop,')).toEqual({
      'api-key': 's3cr=t',
      'x-tenant': 'shop',
    });
    expect(parseHeaderList('')).toEqual({});
  });
  it('names the entry that is wrong', () => {
    expect(() => parseHeaderList('novalue')).toThrow('"novalue" must be name=value');
    expect(() => parseHeaderList('bad name=x')).toThrow('"bad name" is not a valid header name');
    expect(() => parseHeaderList('Content-Encoding=br')).toThrow('set by the exporter');
    expect(() => parseHeaderList('k=%E0%A4%A')).toThrow('percent-encoding');
  });
});

describe('WEFT_OTLP_EXPORT_* in loadEnv', () => {
  it('is off unless an endpoint is set', () => {
    expect(loadEnv({}).otlpExport).toBeNull();
  });
  it('reads endpoint, headers and timeout', () => {
    const env = loadEnv({
      WEFT_OTLP_EXPORT_ENDPOINT: 'http://127.0.0.1:4318',
      WEFT_OTLP_EXPORT_HEADERS: 'authorization=Bearer%20abc',
      WEFT_OTLP_EXPORT_TIMEOUT_MS: '2500',
    });
    expect(env.otlpExport).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      headers: { authorization: 'Bearer abc' },
      timeoutMs: 2500,
    });
  });
  it('refuses bad values naming the variable and the limit', () => {
    expect(() => loadEnv({ WEFT_OTLP_EXPORT_ENDPOINT: 'ftp://x' })).toThrow(
      /WEFT_OTLP_EXPORT_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => loadEnv({ WEFT_OTLP_EXPORT_HEADERS: 'oops' })).toThrow(
      /WEFT_OTLP_EXPORT_HEADERS: "oops" must be name=value/,
    );
    expect(() => loadEnv({ WEFT_OTLP_EXPORT_TIMEOUT_MS: '5' })).toThrow(
      /WEFT_OTLP_EXPORT_TIMEOUT_MS: must be between 100 and 120000/,
    );
  });
});
