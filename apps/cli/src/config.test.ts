import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, envToken, normalizeApiUrl, resolveApiUrl, SessionStore } from './config.ts';
import { UsageError } from './errors.ts';

describe('API URL', () => {
  it('comes from --api, else WEFT_API_URL, else the local demo', () => {
    expect(resolveApiUrl('http://a:1/', { env: { WEFT_API_URL: 'http://b:2' } })).toBe('http://a:1');
    expect(resolveApiUrl(undefined, { env: { WEFT_API_URL: 'http://b:2' } })).toBe('http://b:2');
    expect(resolveApiUrl(undefined, { env: {} })).toBe('http://127.0.0.1:4000');
  });

  it('is normalised into the key a session is saved under', () => {
    expect(normalizeApiUrl('HTTP://Example.com:4000/')).toBe('http://example.com:4000');
    expect(normalizeApiUrl('https://weft.example.com/api/')).toBe('https://weft.example.com/api');
    expect(() => normalizeApiUrl('localhost:4000')).toThrow(UsageError);
    expect(() => normalizeApiUrl('not a url')).toThrow(UsageError);
    expect(() => normalizeApiUrl('http://a/?x=1')).toThrow(UsageError);
  });
});

describe('environment', () => {
  it('takes WEFT_TOKEN only when it is not empty', () => {
    expect(envToken({ env: { WEFT_TOKEN: ' weft_x ' } })).toBe('weft_x');
    expect(envToken({ env: { WEFT_TOKEN: '' } })).toBeUndefined();
  });

  it('keeps sessions under XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(configDir({ env: { XDG_CONFIG_HOME: '/x/conf' }, homeDir: '/home/u' })).toBe('/x/conf/weft');
    expect(configDir({ env: { XDG_CONFIG_HOME: 'rel' }, homeDir: '/home/u' })).toBe('/home/u/.config/weft');
    expect(configDir({ env: {}, homeDir: '/home/u' })).toBe('/home/u/.config/weft');
  });
});

describe('SessionStore', () => {
  it('keeps one session per API URL in a file only the user can read', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'weft-cli-store-')), 'weft');
    const store = new SessionStore(dir);
    const session = {
      cookie: 'weft_session=s',
      csrfToken: 'c',
      username: 'u',
      role: 'viewer',
      expiresAtMs: 1,
    };
    store.save('http://a', session);
    store.save('http://b', { ...session, username: 'v' });
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(store.get('http://a')).toEqual(session);
    expect(store.remove('http://a')).toBe(true);
    expect(store.remove('http://a')).toBe(false);
    expect(store.get('http://a')).toBeUndefined();
    expect(store.get('http://b')?.username).toBe('v');
  });
});
