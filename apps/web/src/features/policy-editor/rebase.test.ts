import { describe, expect, it } from 'vitest';
import { reapply } from './rebase.ts';

describe('reapply (reload and re-apply my change after a 409)', () => {
  const base = { targetRef: { name: 'reviews' }, attempts: 3, perTryTimeout: '1s', retryOn: ['5xx'] };

  it('keeps their change where I changed nothing and mine where I changed something', () => {
    const mine = { ...base, attempts: 5 };
    const theirs = { ...base, perTryTimeout: '2s' };
    expect(reapply(base, mine, theirs)).toEqual({ ...base, attempts: 5, perTryTimeout: '2s' });
  });

  it('lets my change win where we both changed the same field', () => {
    expect(reapply(base, { ...base, attempts: 5 }, { ...base, attempts: 7 })).toEqual({
      ...base,
      attempts: 5,
    });
  });

  it('replaces a list I changed as a whole', () => {
    const mine = { ...base, retryOn: ['5xx', 'reset'] };
    const theirs = { ...base, retryOn: ['gateway-error'] };
    expect(reapply(base, mine, theirs)).toEqual(mine);
  });

  it('drops a field I removed and keeps one they added', () => {
    const { perTryTimeout: _dropped, ...mine } = base;
    const theirs = { ...base, nonIdempotent: true };
    expect(reapply(base, mine, theirs)).toEqual({ ...mine, nonIdempotent: true });
  });

  it('is what is live now when I changed nothing', () => {
    const theirs = { ...base, attempts: 9 };
    expect(reapply(base, { ...base }, theirs)).toEqual(theirs);
  });
});
