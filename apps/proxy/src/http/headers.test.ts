import { describe, expect, it } from 'vitest';
import type { HeaderMap } from './exchange.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import { parseRequestTarget, pathWithoutQuery } from './request-target.ts';

describe('withoutHopByHop', () => {
  it('removes the standard hop-by-hop fields and those Connection names', () => {
    const headers: HeaderMap = {
      connection: 'keep-alive, X-Session-Token',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      trailer: 'x-checksum',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic eA==',
      'x-session-token': 'secret',
      'content-type': 'text/plain',
      'x-request-id': '1',
    };
    expect(withoutHopByHop(headers)).toEqual({ 'content-type': 'text/plain', 'x-request-id': '1' });
    expect(headers['x-session-token']).toBe('secret'); // the original is left alone
  });

  it('handles Connection given more than once and skips absent values', () => {
    const headers: HeaderMap = {
      connection: ['x-a', 'x-b , constructor'],
      'x-a': '1',
      'x-b': '2',
      'x-c': '3',
    };
    expect(withoutHopByHop(headers)).toEqual({ 'x-c': '3' });
  });
});

describe('parseRequestTarget', () => {
  it.each([
    ['/items?x=1', 'catalog', { authority: 'catalog', path: '/items?x=1' }],
    ['http://catalog.shop/items?x=1', 'ignored', { authority: 'catalog.shop', path: '/items?x=1' }],
    ['http://catalog.shop:8080', undefined, { authority: 'catalog.shop:8080', path: '/' }],
    ['HTTP://catalog.shop?x=1', undefined, { authority: 'catalog.shop', path: '/?x=1' }],
    ['http://catalog.shop/a#frag', undefined, { authority: 'catalog.shop', path: '/a' }],
  ])('%s', (url, host, expected) => {
    expect(parseRequestTarget(url, host)).toEqual(expected);
  });

  it('keeps the asterisk-form for OPTIONS only, and makes OPTIONS of a bare absolute URL one', () => {
    expect(parseRequestTarget('*', 'catalog', 'OPTIONS')).toEqual({ authority: 'catalog', path: '*' });
    expect(parseRequestTarget('*', 'catalog', 'GET')).toBeNull();
    expect(parseRequestTarget('http://catalog.shop:8080', undefined, 'OPTIONS')).toEqual({
      authority: 'catalog.shop:8080',
      path: '*',
    });
    expect(parseRequestTarget('http://catalog.shop/x', undefined, 'OPTIONS')).toEqual({
      authority: 'catalog.shop',
      path: '/x',
    });
  });

  it.each(['https://catalog.shop/', 'ftp://x/', 'http:///path', 'http://user@catalog/', 'items'])(
    'refuses %s',
    (url) => {
      expect(parseRequestTarget(url, 'h')).toBeNull();
    },
  );

  it('drops the query for span names', () => {
    expect(pathWithoutQuery('/items?id=1')).toBe('/items');
    expect(pathWithoutQuery('/items')).toBe('/items');
  });
});
