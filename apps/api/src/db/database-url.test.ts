import { describe, expect, it } from 'vitest';
import { describeTarget, parseDatabaseUrl } from './database-url.ts';
import { DatabaseError } from './errors.ts';

describe('parseDatabaseUrl', () => {
  it('resolves relative SQLite paths against the working directory', () => {
    expect(parseDatabaseUrl('file:.weft/weft.db', '/srv/weft')).toEqual({
      provider: 'sqlite',
      filePath: '/srv/weft/.weft/weft.db',
    });
    expect(parseDatabaseUrl('file:./data/../weft.db?connection_limit=1', '/srv/weft')).toEqual({
      provider: 'sqlite',
      filePath: '/srv/weft/weft.db',
    });
  });

  it('accepts absolute SQLite paths and file:// URLs', () => {
    expect(parseDatabaseUrl('file:/var/lib/weft/weft.db', '/srv')).toMatchObject({
      filePath: '/var/lib/weft/weft.db',
    });
    expect(parseDatabaseUrl('file:///var/lib/weft/weft.db', '/srv')).toMatchObject({
      filePath: '/var/lib/weft/weft.db',
    });
  });

  it('reads host, port, database and user from PostgreSQL URLs', () => {
    for (const scheme of ['postgres', 'postgresql']) {
      const target = parseDatabaseUrl(`${scheme}://weft:s%40cret@db.internal:6432/telemetry?sslmode=require`);
      expect(target).toMatchObject({
        provider: 'postgresql',
        host: 'db.internal',
        port: 6432,
        database: 'telemetry',
        user: 'weft',
      });
      expect(describeTarget(target)).toBe('db.internal:6432/telemetry');
    }
    expect(parseDatabaseUrl('postgresql://weft@[::1]/weft')).toMatchObject({ host: '::1', port: 5432 });
    expect(describeTarget(parseDatabaseUrl('postgresql://weft@[::1]/weft'))).toBe('[::1]:5432/weft');
  });

  it('names the schemes that work when given another', () => {
    expect(() => parseDatabaseUrl('mysql://root:pw@localhost/weft')).toThrow(DatabaseError);
    expect(() => parseDatabaseUrl('mysql://root:pw@localhost/weft')).toThrow(
      /scheme "mysql:" is not supported; use file:<path> for SQLite .* or postgresql:\/\/.* for PostgreSQL/,
    );
    expect(() => parseDatabaseUrl('weft.db')).toThrow(/has no scheme; use file:<path>/);
    expect(() => parseDatabaseUrl('file::memory:')).toThrow(/in-memory SQLite database is not supported/);
  });

  it('never repeats a password in its messages', () => {
    expect(() => parseDatabaseUrl('mysql://root:hunter2@localhost/weft')).not.toThrow(/hunter2/);
    expect(() => parseDatabaseUrl('postgresql://root:hunter2@host:99999/weft')).toThrow(DatabaseError);
    expect(() => parseDatabaseUrl('postgresql://root:hunter2@host:99999/weft')).not.toThrow(/hunter2/);
  });
});
