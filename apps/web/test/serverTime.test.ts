import { describe, expect, it } from 'vitest';
import { HybridClock } from '@concord/shared';
import { ServerTime } from '../src/sync/serverTime';

function memory(): Pick<Storage, 'getItem' | 'setItem'> {
  const data = new Map<string, string>();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('server time', () => {
  it('HLC6: a device whose clock is a day ahead makes stamps in the server’s time once it has heard from it, also after a reload', () => {
    const server = Date.UTC(2026, 10, 30, 12, 0, 0);
    const device = server + 86_400_000;
    const storage = memory();
    const time = new ServerTime(storage, () => device);
    expect(time.now()).toBe(device);
    time.observe(new Date(server).toUTCString(), device - 40, device + 40);
    expect(Math.abs(time.now() - server)).toBeLessThan(1_500);
    const clock = new HybridClock({ replicaId: 'tab', physicalNow: () => time.now() });
    expect(Math.abs(clock.now().wallMs - server)).toBeLessThan(1_500);
    const reloaded = new ServerTime(storage, () => device);
    expect(Math.abs(reloaded.now() - server)).toBeLessThan(1_500);
  });

  it('ignores offsets within the Date header’s resolution and answers without a date', () => {
    const now = Date.UTC(2026, 10, 30, 12, 0, 0, 300);
    const time = new ServerTime(memory(), () => now);
    time.observe(new Date(now).toUTCString(), now - 10, now + 10);
    expect(time.offset).toBe(0);
    time.observe(null, now, now);
    time.observe('not a date', now, now);
    expect(time.offset).toBe(0);
  });
});
