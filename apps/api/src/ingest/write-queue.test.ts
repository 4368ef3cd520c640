import { describe, expect, it, vi } from 'vitest';
import { IngestOverloadedError, WriteQueue } from './write-queue.ts';

describe('WriteQueue', () => {
  it('writes one batch at a time, in order', async () => {
    const queue = new WriteQueue({ maxQueuedRows: 100 });
    const order: string[] = [];
    let release!: () => void;
    const first = queue.run(10, async () => {
      order.push('first starts');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first ends');
    });
    const second = queue.run(10, () => {
      order.push('second');
      return Promise.resolve();
    });
    await vi.waitFor(() => expect(order).toEqual(['first starts']));
    expect(queue.depth).toBe(20);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second']);
    expect(queue.depth).toBe(0);
  });

  it('refuses a batch that would exceed the bound, with a retry delay, and queues nothing of it', async () => {
    const queue = new WriteQueue({ maxQueuedRows: 100, retryAfterSeconds: 3 });
    let release: (() => void) | undefined;
    const held = queue.run(80, () => new Promise<void>((resolve) => (release = resolve)));
    const refused = await queue.run(30, () => Promise.resolve()).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(IngestOverloadedError);
    expect((refused as IngestOverloadedError).retryAfterSeconds).toBe(3);
    expect((refused as IngestOverloadedError).message).toContain('WriteQueueLimits.maxQueuedRows');
    expect(queue.depth).toBe(80);
    // Within the bound it is still taken.
    const fits = queue.run(20, () => Promise.resolve('ok'));
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    release?.();
    await expect(fits).resolves.toBe('ok');
    await held;
  });

  it('takes one batch larger than the bound when nothing else is queued', async () => {
    const queue = new WriteQueue({ maxQueuedRows: 10 });
    await expect(queue.run(50, () => Promise.resolve(1))).resolves.toBe(1);
  });

  it('keeps going after a failed write', async () => {
    const queue = new WriteQueue();
    await expect(queue.run(1, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    await expect(queue.run(1, () => Promise.resolve(2))).resolves.toBe(2);
    expect(queue.depth).toBe(0);
  });
});
