/**
 * LOAD1: a fresh client of a document loading from a snapshot (nothing after it, recorded at the
 * kind's current schema version) is sent that snapshot before the server has built its copy, and
 * is brought up to date once it has; every other case gets the usual answer after the load.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import type { EventStore } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { SCHEMA, rawConnect, startTestServer, token, waitFor, type RawSocket } from './helpers.js';

const DOC = 'product:stored';
const editor = token('ann', 'editor');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Frame {
  readonly type: number;
  /** For sync frames (type 0): 0 step 1, 1 step 2, 2 update. */
  readonly sync?: number;
  readonly payload?: Uint8Array;
}

function parse(bytes: Uint8Array): Frame {
  const d = decoding.createDecoder(bytes);
  const type = decoding.readVarUint(d);
  if (type !== 0) return { type };
  const sync = decoding.readVarUint(d);
  return { type, sync, payload: decoding.readVarUint8Array(d) };
}

function syncStep1(stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint8Array(e, stateVector);
  return encoding.toUint8Array(e);
}

const EMPTY_VECTOR = Y.encodeStateVector(new Y.Doc());

/**
 * A product stored as one log entry and a snapshot of it (`schemaVersion` as recorded; null:
 * none), and with `tail`, one more entry after the snapshot. The document as the log holds it.
 */
async function stored(
  store: EventStore,
  options: { schemaVersion: number | null; tail?: boolean; small?: boolean },
): Promise<{ doc: Y.Doc; snapshot: Uint8Array }> {
  const doc = new Y.Doc();
  const clock = new HybridClock({ replicaId: 'seed' });
  const entry = (update: Uint8Array) => ({
    update,
    user: 'seed',
    ts: Date.now(),
    kind: 'edit' as const,
    changes: [],
  });
  applyPatch(
    doc,
    productKind,
    // 17,400 characters: a snapshot above 16 KiB, the size from which one is offered.
    {
      name: 'Stored',
      description: 'a description of some length '.repeat(options.small ? 20 : 600),
    },
    { clock, writer: 'seed' },
  );
  const snapshot = Y.encodeStateAsUpdate(doc);
  await store.append([{ doc: DOC, entries: [entry(snapshot)] }]);
  await store.saveSnapshot(DOC, {
    seq: 1,
    state: snapshot,
    ...(options.schemaVersion === null ? {} : { schemaVersion: options.schemaVersion }),
  });
  if (options.tail) {
    const before = Y.encodeStateVector(doc);
    applyPatch(doc, productKind, { priceCents: 1999 }, { clock, writer: 'seed' });
    await store.append([{ doc: DOC, entries: [entry(Y.encodeStateAsUpdate(doc, before))] }]);
  }
  return { doc, snapshot };
}

/** A server on `store` that waits long for sync step 1s (their arrival ends the wait). */
async function serve(
  store: EventStore,
  storedAskWaitMs = 10_000,
  maxBufferedBytes?: number,
): Promise<RunningServer> {
  const server = await startTestServer({
    store,
    config: { storedAskWaitMs, ...(maxBufferedBytes ? { maxBufferedBytes } : {}) },
  });
  cleanups.push(() => server.close());
  return server;
}

/** A bare client that sends `first` as soon as it is connected (nothing if undefined). */
function client(server: RunningServer, first: Uint8Array | undefined, schema = SCHEMA): RawSocket {
  const url = `${server.wsUrl}/${DOC}?token=${encodeURIComponent(editor)}&concord=1&schema=${schema}`;
  const socket = rawConnect(url);
  if (first) void socket.opened.then(() => socket.ws.send(first));
  cleanups.push(() => socket.ws.close());
  return socket;
}

/** The document a client builds from the sync step 2s and updates it received. */
function received(socket: RawSocket): Y.Doc {
  const doc = new Y.Doc();
  for (const frame of socket.messages.map(parse))
    if (frame.type === 0 && frame.sync !== 0) Y.applyUpdate(doc, frame.payload!);
  return doc;
}

const content = (doc: Y.Doc) => materialize(doc, productKind, 'stored');

/** The usual path: the server greets first, and the client ends up with `doc`. */
async function expectUsualAnswer(socket: RawSocket, doc: Y.Doc): Promise<void> {
  await waitFor(() => socket.messages.some((m) => parse(m).sync === 1), 'the answer');
  expect(parse(socket.messages[0]!)).toMatchObject({ type: 0, sync: 0 });
  expect(content(received(socket))).toEqual(content(doc));
}

describe('fresh clients of a stored document (LOAD1)', () => {
  it('LOAD1: a fresh client gets the stored snapshot before the server greets it, then whatever is newer', async () => {
    const store = new SqliteEventStore(':memory:');
    const { doc, snapshot } = await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store);
    const socket = client(server, syncStep1(EMPTY_VECTOR));
    await waitFor(() => socket.messages.some((m) => parse(m).sync === 0), 'the server greeting');
    const frames = socket.messages.map(parse);
    expect(frames[0]).toMatchObject({ type: 0, sync: 1 });
    expect([...frames[0]!.payload!]).toEqual([...snapshot]);
    const greeting = frames.findIndex((f) => f.type === 0 && f.sync === 0);
    expect(greeting).toBeGreaterThan(0);
    // Its sync step 1, answered once loaded: as for a client holding the snapshot (a second
    // step 2 with nothing new, not the whole document again).
    await waitFor(
      () => socket.messages.map(parse).filter((f) => f.sync === 1).length === 2,
      'the answer after the load',
    );
    const second = socket.messages.map(parse).filter((f) => f.sync === 1)[1]!;
    expect(second.payload!.byteLength).toBeLessThan(snapshot.byteLength / 4);
    expect(content(received(socket))).toEqual(content(doc));
  });

  it('LOAD1: what another client writes while the document loads is in the answer after the load', async () => {
    const store = new SqliteEventStore(':memory:');
    const { doc, snapshot } = await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store);
    // The writer connects first and says nothing yet: the load waits for it.
    const writer = client(server, undefined);
    await writer.opened;
    const fresh = client(server, syncStep1(EMPTY_VECTOR));
    await waitFor(() => fresh.messages.length > 0, 'the stored answer');
    expect(parse(fresh.messages[0]!)).toMatchObject({ type: 0, sync: 1 });
    // Now its sync step 1 and an edit, handled once loaded, before the fresh client's step 1.
    const replica = new Y.Doc();
    Y.applyUpdate(replica, snapshot);
    const before = Y.encodeStateVector(replica);
    applyPatch(
      replica,
      productKind,
      { priceCents: 4200 },
      { clock: new HybridClock({ replicaId: 'writer' }), writer: 'ann' },
    );
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 0);
    encoding.writeVarUint(update, 2);
    encoding.writeVarUint8Array(update, Y.encodeStateAsUpdate(replica, before));
    writer.ws.send(syncStep1(before));
    writer.ws.send(encoding.toUint8Array(update));
    // A query of awareness after the edit submits it at once (what comes before a message of
    // another kind is written first), so it is being committed when the fresh client is answered.
    writer.ws.send(new Uint8Array([3]));
    await waitFor(
      () => fresh.messages.map(parse).filter((f) => f.sync === 1).length === 2,
      'the answer after the load',
    );
    // That answer alone, on top of the snapshot, holds the edit.
    const answer = fresh.messages.map(parse).filter((f) => f.sync === 1)[1]!;
    const held = new Y.Doc();
    Y.applyUpdate(held, snapshot);
    Y.applyUpdate(held, answer.payload!);
    expect(content(held)).toEqual(content(replica));
    expect(content(held)).not.toEqual(content(doc));
  });

  it.each([
    ['a snapshot without a recorded schema version', { schemaVersion: null }],
    ['a snapshot of an older schema version', { schemaVersion: productKind.schemaVersion - 1 }],
    ['a snapshot with entries after it', { schemaVersion: productKind.schemaVersion, tail: true }],
    ['a snapshot below 16 KiB', { schemaVersion: productKind.schemaVersion, small: true }],
  ])('LOAD1: %s is not given as it is: the server greets first', async (_what, options) => {
    const store = new SqliteEventStore(':memory:');
    const { doc } = await stored(store, options);
    const server = await serve(store);
    await expectUsualAnswer(client(server, syncStep1(EMPTY_VECTOR)), doc);
  });

  it('LOAD1: a client that holds something gets the usual answer after the load', async () => {
    const store = new SqliteEventStore(':memory:');
    const { doc, snapshot } = await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store);
    const socket = client(server, syncStep1(Y.encodeStateVectorFromUpdate(snapshot)));
    await waitFor(() => socket.messages.some((m) => parse(m).sync === 1), 'the answer');
    expect(parse(socket.messages[0]!)).toMatchObject({ type: 0, sync: 0 });
    const answer = socket.messages.map(parse).find((f) => f.sync === 1)!;
    expect(answer.payload!.byteLength).toBeLessThan(snapshot.byteLength / 4);
    const held = new Y.Doc();
    Y.applyUpdate(held, snapshot);
    Y.applyUpdate(held, answer.payload!);
    expect(content(held)).toEqual(content(doc));
  });

  it('LOAD1 LIM1: a snapshot above half the send buffer bound is sent after the load', async () => {
    const store = new SqliteEventStore(':memory:');
    const { doc, snapshot } = await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store, 10_000, snapshot.byteLength * 2 - 1);
    await expectUsualAnswer(client(server, syncStep1(EMPTY_VECTOR)), doc);
  });

  it('LOAD1 MIG6: a client declaring an older schema version gets no document data', async () => {
    const store = new SqliteEventStore(':memory:');
    await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store);
    const socket = client(server, syncStep1(EMPTY_VECTOR), productKind.schemaVersion - 1);
    expect((await socket.closed).code).toBe(4426);
    expect(socket.messages.map(parse).filter((f) => f.type === 0)).toEqual([]);
  });

  it('LOAD1 MAL1: an undecodable frame before the load gets no stored answer, does not hold the load, and closes 4400', async () => {
    const store = new SqliteEventStore(':memory:');
    await stored(store, { schemaVersion: productKind.schemaVersion });
    // A wait far longer than the test's: only the frame itself can end it.
    const server = await serve(store, 600_000);
    const socket = client(server, new Uint8Array([0, 0, 0xff, 0xff, 0xff]));
    expect((await socket.closed).code).toBe(4400);
    expect(socket.messages.map(parse).filter((f) => f.type === 0 && f.sync === 1)).toEqual([]);
  });

  it('LOAD1 MEM4: a flood before the load is closed at the bound, with no stored answer', async () => {
    const store = new SqliteEventStore(':memory:');
    await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store, 600_000);
    const socket = client(server, undefined);
    await socket.opened;
    // Awareness queries, no sync step 1: the load waits for one, the frames pile up.
    for (let i = 0; i < 300; i++) socket.ws.send(new Uint8Array([3]));
    expect((await socket.closed).code).toBe(1013);
    expect(socket.messages.map(parse).filter((f) => f.type === 0 && f.sync === 1)).toEqual([]);
  });

  it('LOAD1: a load waits for a client that sends nothing only up to its bound', async () => {
    const store = new SqliteEventStore(':memory:');
    await stored(store, { schemaVersion: productKind.schemaVersion });
    const server = await serve(store, 200);
    const started = performance.now();
    const socket = client(server, undefined);
    await waitFor(() => socket.messages.length > 0, 'the server greeting');
    expect(parse(socket.messages[0]!)).toMatchObject({ type: 0, sync: 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });
});
