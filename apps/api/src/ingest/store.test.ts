import { describe, expect, it } from 'vitest';
import { dataRefusal, rowsPerStatement } from './store.ts';

/** The shape Prisma 7 gives a failed raw query through a driver adapter (measured on both databases). */
function prismaError(cause: Record<string, unknown>) {
  return Object.assign(new Error('Raw query failed'), {
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

describe('telling refused data from a failing database', () => {
  it('treats PostgreSQL data exceptions as refused data', () => {
    expect(
      dataRefusal(
        prismaError({
          originalCode: '22003',
          originalMessage: 'value "3000000000" is out of range for type integer',
          kind: 'ValueOutOfRange',
          cause: 'value "3000000000" is out of range for type integer',
        }),
      ),
    ).toBe('a value cannot be stored: value "3000000000" is out of range for type integer');
    expect(
      dataRefusal(
        prismaError({
          originalCode: '22021',
          originalMessage: 'invalid byte sequence for encoding "UTF8": 0x00',
          kind: 'postgres',
          code: '22021',
          message: 'invalid byte sequence for encoding "UTF8": 0x00',
        }),
      ),
    ).toContain('0x00');
    expect(
      dataRefusal(
        prismaError({ kind: 'postgres', code: '54000', message: 'index row size 3000 exceeds maximum' }),
      ),
    ).toContain('index row size');
  });

  it('treats a value better-sqlite3 cannot bind as refused data', () => {
    expect(dataRefusal(new RangeError('The bound string, buffer, or bigint is too big'))).toContain(
      'too big',
    );
  });

  it('leaves outages and everything else to the 5xx path', () => {
    expect(
      dataRefusal(prismaError({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })),
    ).toBeNull();
    expect(dataRefusal(prismaError({ kind: 'ConnectionClosed' }))).toBeNull();
    expect(
      dataRefusal(prismaError({ kind: 'postgres', code: '57P01', message: 'terminating connection' })),
    ).toBeNull();
    expect(
      dataRefusal(prismaError({ kind: 'sqlite', extendedCode: 5, message: 'database is locked' })),
    ).toBeNull();
    expect(dataRefusal(new Error('socket hang up'))).toBeNull();
    expect(dataRefusal(undefined)).toBeNull();
  });

  it('keeps every statement far below both databases parameter limits', () => {
    expect(rowsPerStatement(14) * 14).toBeLessThanOrEqual(4000);
    expect(rowsPerStatement(14)).toBeGreaterThan(100);
  });
});
