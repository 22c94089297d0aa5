/**
 * Awareness is the connection's own (SPEC AW1–AW5): a few client ids per connection, none that
 * belongs to another user, bounded states whose identity the server writes, cleared on leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ReasonCode } from '@concord/shared';
import { MAX_IDS_PER_PEER } from '../src/docs/awarenessRoom.js';
import type { RunningServer } from '../src/server.js';
import { attacker, awarenessFrame } from './attacker.js';
import { connect, startTestServer, synced, token, waitFor, type TestClient } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const room = async (doc: string) => (await server.hub.loaded(doc))!.awareness;

async function bystander(doc: string): Promise<TestClient> {
  const c = connect(server, doc, token('bea', 'viewer'));
  await synced(c);
  c.provider.awareness.setLocalStateField('field', null);
  return c;
}

describe('awareness', () => {
  it('AW2: 10 frames of 20,000 fabricated client ids reach nobody and hold no memory; the sender is closed', async () => {
    const doc = 'product:aw-flood';
    const bea = await bystander(doc);
    const flooder = await attacker(server, doc, token('vic', 'viewer'));
    const huge = awarenessFrame(
      Array.from({ length: 20_000 }, (_, i) => ({
        client: 1_000_000 + i,
        clock: 1,
        state: { user: { name: 'x' } },
      })),
    );
    for (let i = 0; i < 10; i++) flooder.send(huge);
    expect((await flooder.closed).code).toBe(CloseCode.malformedMessage);
    expect(bea.provider.awareness.getStates().size).toBeLessThanOrEqual(1);
    expect((await room(doc)).size).toBeLessThanOrEqual(1);
    bea.destroy();
  });

  it(`AW1: one connection publishes at most ${MAX_IDS_PER_PEER} client ids; the rest are refused with a reason`, async () => {
    const doc = 'product:aw-many';
    const bea = await bystander(doc);
    const vic = await attacker(server, doc, token('vic', 'viewer'));
    vic.send(
      awarenessFrame(
        Array.from({ length: 40 }, (_, i) => ({
          client: 5_000 + i,
          clock: 1,
          state: { field: null },
        })),
      ),
    );
    await waitFor(() => vic.errors.length > 0, 'refusal');
    expect(vic.errors[0]).toMatchObject({ code: ReasonCode.awarenessRefused });
    await waitFor(
      () => bea.provider.awareness.getStates().size === 1 + MAX_IDS_PER_PEER,
      'the allowed ids relayed',
    );
    expect((await room(doc)).size).toBe(1 + MAX_IDS_PER_PEER);
    vic.close();
    // AW5: leaving removes its states, here and at every other client
    await waitFor(async () => (await room(doc)).size === 1, 'states cleared on the server');
    await waitFor(
      () => bea.provider.awareness.getStates().size === 1,
      'states cleared at the bystander',
    );
    bea.destroy();
  });

  it('AW3: the server writes the identity: a viewer claiming to be "Alice (admin)" is shown as herself, and a hostile colour is dropped', async () => {
    const doc = 'product:aw-who';
    const bea = await bystander(doc);
    const vic = await attacker(server, doc, token('vic', 'viewer'));
    vic.send(
      awarenessFrame([
        {
          client: 777,
          clock: 1,
          state: {
            user: { id: 'alice', name: 'Alice (admin)', color: 'red;background:url(//x)' },
            field: 'name',
          },
        },
      ]),
    );
    await waitFor(() => bea.provider.awareness.getStates().has(777), 'relayed');
    expect(bea.provider.awareness.getStates().get(777)).toEqual({
      user: { id: 'vic', name: 'vic' },
      field: 'name',
    });
    vic.close();
    bea.destroy();
  });

  it('AW1: awareness for a client id that belongs to another user is refused', async () => {
    const doc = 'product:aw-steal';
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    alice.doc.getText('t:description').insert(0, 'Alice writes');
    await waitFor(() => alice.saved(), 'saved');
    const vic = await attacker(server, doc, token('vic', 'viewer'));
    vic.send(
      awarenessFrame([{ client: alice.doc.clientID, clock: 99, state: { field: 'description' } }]),
    );
    await waitFor(() => vic.errors.length > 0, 'refusal');
    expect(vic.errors[0]!.message).toMatch(/belongs to another user/);
    const held = (await room(doc)).all().find((e) => e.clientId === alice.doc.clientID);
    expect(held === undefined || JSON.parse(held.state).user.id === 'alice').toBe(true);
    vic.close();
    alice.destroy();
  });

  it('AW4: a state larger than 4 KB, or one that is not an object, is refused', async () => {
    const doc = 'product:aw-big';
    const vic = await attacker(server, doc, token('vic', 'viewer'));
    vic.send(awarenessFrame([{ client: 42, clock: 1, state: { blob: 'x'.repeat(5_000) } }]));
    vic.send(awarenessFrame([{ client: 43, clock: 1, state: [1, 2, 3] }]));
    await waitFor(() => vic.errors.length >= 2, 'two refusals');
    expect((await room(doc)).size).toBe(0);
    vic.close();
  });
});
