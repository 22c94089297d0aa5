import { connect as tcpConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CloseCode, HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

describe('limits', () => {
  it('LIM1: a client that stops reading is disconnected (slowConsumer) instead of the server buffering without bound', async () => {
    const server = await startTestServer({
      config: { maxBufferedBytes: 256 * 1024, maxDocBytes: 512 * 1024 * 1024 },
    });
    try {
      const port = Number(new URL(server.url).port);
      // A WebSocket client that completes the handshake and then never reads a byte.
      const socket = tcpConnect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `GET /product:slow?token=${token('sid', 'viewer')} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      socket.pause();
      const writer = connect(server, 'product:slow', token('wes', 'editor'), { extensions: true });
      const reader = connect(server, 'product:slow', token('rey', 'viewer'));
      await Promise.all([synced(writer), synced(reader)]);
      const clock = new HybridClock({ replicaId: 'wes' });
      const closedSlow = async () =>
        /concord_closed_connections_total\{code="4508"\} 1/.test(
          (await api(server, 'GET', '/metrics')).text,
        );
      for (let i = 0; i < 2_000 && !(await closedSlow()); i++) {
        applyPatch(
          writer.doc,
          productKind,
          { description: `${i}`.padEnd(19_000, String.fromCharCode(97 + (i % 26))) },
          { clock, writer: 'wes' },
        );
        await waitFor(() => writer.saved(), 'saved');
      }
      expect(await closedSlow()).toBe(true);
      expect(CloseCode.slowConsumer).toBe(4508);
      // Everyone else carries on.
      applyPatch(writer.doc, productKind, { name: 'After the slow one' }, { clock, writer: 'wes' });
      await waitFor(
        () => materialize(reader.doc, productKind, 'slow').name === 'After the slow one',
        'healthy reader still syncs',
      );
      socket.destroy();
      writer.destroy();
      reader.destroy();
    } finally {
      await server.close();
    }
  });
});
