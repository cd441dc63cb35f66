// nebula/lane.ts: the lane that unverified device signatures and anonymous
// enrollments share — one piece of work at a time, in arrival order, a
// failure never blocking the work behind it.
import { describe, expect, it } from 'vitest';
import { Lane } from '../../supabase/functions/nebula/lane.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('Lane', () => {
  it('runs one piece of work at a time, in the order it came', async () => {
    const lane = new Lane();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        lane.run(async () => {
          running++;
          most = Math.max(most, running);
          await tick();
          order.push(i);
          running--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('hands each caller its own result or error, and a failure does not stop the next', async () => {
    const lane = new Lane();
    const failed = lane.run(async () => {
      await tick();
      throw new Error('refused');
    });
    const next = lane.run(async () => 'ran');
    await expect(failed).rejects.toThrow('refused');
    await expect(next).resolves.toBe('ran');
  });
});
