import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll } from 'vitest';
import { FanOutBus, InProcessFanOut } from '../src/fanout/fanOut.js';
import { RedisFanOut } from '../src/scale/redisFanOut.js';
import { createScaleMetrics } from '../src/scale/scaleMetrics.js';
import { runFanOutContract } from './fanOutContract.js';
import { REDIS_URL, dropRedisPrefix, uniqueName } from './scaleHelpers.js';

runFanOutContract('in-process', async (n) => {
  const bus = new FanOutBus();
  return Array.from({ length: n }, () => new InProcessFanOut(bus));
});

const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await dropRedisPrefix(p);
});

runFanOutContract('redis', async (n) => {
  const prefix = `${uniqueName('concord_test')}:`;
  prefixes.push(prefix);
  const logger = pino({ level: 'silent' });
  return Array.from({ length: n }, (_, i) => {
    const redis = new Redis(REDIS_URL);
    const reader = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const fanOut = new RedisFanOut(redis, reader, createScaleMetrics(), logger, {
      prefix,
      instanceId: `test-${i}`,
      blockMs: 100,
    });
    const close = fanOut.close.bind(fanOut);
    fanOut.close = async () => {
      await close();
      redis.disconnect();
    };
    return fanOut;
  });
});
