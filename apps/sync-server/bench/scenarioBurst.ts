/**
 * `burst`: one client types N characters (default 20,000 and 100,000) one by one into the
 * description (a Y.Text) of a product document — each keystroke its own Yjs transaction, update
 * and message, sent as fast as the socket takes them (the sender yields to read the server's
 * frames every 256 messages and waits while more than 1 MiB is buffered). The text keeps the last
 * 10,000 characters typed (BENCH_BURST_WINDOW) (beyond that a keystroke also deletes the first character, in the same
 * transaction), below the product's 20,000-character limit. Right after the last send a NEW
 * provider client connects; measured: first send → its text equals the sender's, and server CPU
 * over that time. Meanwhile two other clients trickle edits into a second document (each one
 * every 100 ms): propagation p50/p99/max of the edits sent during the burst — a burst into one
 * document must not stall the others. Every server runs with its defaults, so Concord's
 * per-connection message limit applies to the sender.
 */
import * as Y from 'yjs';
import { HybridClock, applyPatch, fieldTypeName, productKind } from '@concord/shared';
import { compareReplicas, docState, verdict, type Verdict } from './checks.js';
import { warmUp, yClient } from './clients.js';
import {
  clientMeter,
  latencySummary,
  round,
  sleep,
  stateVectorsEqual,
  waitFor,
  withServer,
  type ServerKind,
  type ServerProcess,
} from './harness.js';
import type { ServerResult } from './results.js';
import type { ScenarioContext } from './scenario.js';
import { RawClient } from './wire.js';

/** Characters the text keeps (env BENCH_BURST_WINDOW, at most the description's 20,000 limit). */
const WINDOW_CHARS = Number(process.env.BENCH_BURST_WINDOW || 10_000);
const REMOTE = 'remote';
const DESCRIPTION = fieldTypeName(productKind.fields.description!, 'description');

/** A raw client holding a replica: syncs, applies what the server sends, sends its own edits. */
class Replica {
  readonly doc = new Y.Doc();
  readonly client: RawClient;
  synced = false;
  /** Own edits: Yjs clock and send time. */
  readonly sent: { clock: number; t: number }[] = [];
  peer: Replica | undefined;
  private peerIndex = 0;
  readonly latencies: { t: number; ms: number }[] = [];
  private last: Uint8Array | undefined;

  constructor(server: ServerProcess, docName: string, user: string) {
    this.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.last = u;
    });
    this.client = new RawClient(server, docName, user, (data) => this.onFrame(data));
    this.client.ws.on('open', () => this.client.sendStep1(Y.encodeStateVector(this.doc)));
  }

  private onFrame(data: Buffer): void {
    const e = this.client.parse(data);
    if (e.kind === 'syncStep1')
      this.client.sendStep2(Y.encodeStateAsUpdate(this.doc, e.stateVector));
    if (e.kind !== 'syncStep2' && e.kind !== 'update') return;
    Y.applyUpdate(this.doc, e.update, REMOTE);
    if (e.kind === 'syncStep2') this.synced = true;
    const peer = this.peer;
    if (!peer) return;
    const now = performance.now();
    const end = Y.parseUpdateMeta(e.update).to.get(peer.doc.clientID) ?? 0;
    while (this.peerIndex < peer.sent.length && peer.sent[this.peerIndex]!.clock <= end) {
      const t = peer.sent[this.peerIndex++]!.t;
      this.latencies.push({ t, ms: now - t });
    }
  }

  /** Make one local edit and send its update. */
  send(edit: (doc: Y.Doc) => void): void {
    this.last = undefined;
    edit(this.doc);
    const t = performance.now();
    this.sent.push({ clock: Y.getState(this.doc.store, this.doc.clientID), t });
    this.client.sendUpdate(this.last!);
  }

  get allPeerEditsSeen(): boolean {
    return !this.peer || this.peerIndex >= this.peer.sent.length;
  }

  destroy(): void {
    this.client.terminate();
    this.doc.destroy();
  }
}

function stockEdit(writer: string): (doc: Y.Doc) => void {
  const clock = new HybridClock({ replicaId: writer });
  return (doc) => applyPatch(doc, productKind, { stock: { delta: 1 } }, { clock, writer });
}

async function typeBurst(typist: Replica, n: number): Promise<void> {
  const text = typist.doc.getText(DESCRIPTION);
  for (let i = 0; i < n; i++) {
    typist.send((doc) =>
      doc.transact(() => {
        text.insert(text.length, String.fromCharCode(97 + (i % 26)));
        if (text.length > WINDOW_CHARS) text.delete(0, 1);
      }),
    );
    if (i % 256 === 255) {
      await new Promise((r) => setImmediate(r));
      while (typist.client.ws.bufferedAmount > 1024 * 1024) await sleep(1);
    }
  }
}

async function runBurst(server: ServerProcess, n: number): Promise<ServerResult> {
  const v: Verdict = verdict();
  await warmUp(server);
  const sideDoc = `product:burst-side-${n}`;
  const a = new Replica(server, sideDoc, 'side-a');
  const b = new Replica(server, sideDoc, 'side-b');
  a.peer = b;
  b.peer = a;
  const typist = new Replica(server, `product:burst-${n}`, 'typist');
  const timers: NodeJS.Timeout[] = [];
  let fresh: ReturnType<typeof yClient> | undefined;
  try {
    if (
      !(await waitFor(() => a.synced && b.synced && typist.synced, 'burst clients synced', 30_000))
    )
      throw new Error('burst clients could not sync');
    typist.send(stockEdit('typist'));
    const editA = stockEdit('side-a');
    const editB = stockEdit('side-b');
    timers.push(setInterval(() => a.send(editA), 100));
    await sleep(50);
    timers.push(setInterval(() => b.send(editB), 100));
    await sleep(500);

    const cpu0 = await server.cpuSeconds();
    const meter = clientMeter();
    const t0 = performance.now();
    await typeBurst(typist, n);
    const tSent = performance.now();
    const reader = (fresh = yClient(server, `product:burst-${n}`, 'reader'));
    const expected = typist.doc.getText(DESCRIPTION).toString();
    let syncedAt = 0;
    void reader.whenSynced().then(() => (syncedAt = performance.now()));
    const text = reader.doc.getText(DESCRIPTION);
    const id = typist.doc.clientID;
    const last = Y.getState(typist.doc.store, id);
    // Every keystroke integrated (cheap to poll), then the text itself compared.
    const seen = await waitFor(
      () => Y.getState(reader.doc.store, id) === last && text.toString() === expected,
      `the new client to see all ${n} keystrokes`,
      300_000,
      2,
    );
    const tSeen = performance.now();
    const cpu1 = await server.cpuSeconds();
    const client = meter();
    for (const t of timers) clearInterval(t);

    if (!seen) v.problems.push('the new client never saw the whole text');
    else v.checks.push(`the new client's text = the sender's (${expected.length} characters)`);
    const s = docState(typist.doc, typist.client.docName);
    if (!stateVectorsEqual(s.stateVector, Y.encodeStateVector(reader.doc)))
      v.problems.push("the new client's state vector differs from the sender's");
    await waitFor(() => a.allPeerEditsSeen && b.allPeerEditsSeen, 'side edits delivered', 20_000);
    if (!a.allPeerEditsSeen || !b.allPeerEditsSeen) v.problems.push('side edits went missing');
    compareReplicas([a.doc, b.doc], sideDoc, v, 'side-document replicas');
    const side = latencySummary(
      [...a.latencies, ...b.latencies].filter((l) => l.t >= t0 && l.t <= tSeen).map((l) => l.ms),
    );
    return {
      figures: {
        sendMs: round(tSent - t0, 0),
        seeAllMs: round(tSeen - t0, 0),
        readerSyncMs: syncedAt ? round(syncedAt - tSent, 0) : null,
        serverCpuMs: round((cpu1 - cpu0) * 1000, 0),
        sideP50Ms: side.p50,
        sideP99Ms: side.p99,
        sideMaxMs: side.max,
        sideSamples: side.samples,
        clientCpuPct: client.pct,
      },
      converged: v.ok,
      clientBound: client.bound,
      ...(v.ok ? {} : { problems: v.problems }),
    };
  } finally {
    for (const t of timers) clearInterval(t);
    fresh?.destroy();
    for (const r of [a, b, typist]) r.destroy();
  }
}

export async function burstScenario(ctx: ScenarioContext): Promise<void> {
  for (const n of ctx.options.bursts) {
    const servers: Partial<Record<ServerKind, ServerResult>> = {};
    for (const kind of ctx.options.servers) {
      const env = { DATA_DIR: ctx.dataDir(`burst-${n}-${kind}`) };
      const r = (servers[kind] = await withServer(kind, env, (server) => runBurst(server, n)));
      console.log(
        `burst ${n}, ${kind}: ${JSON.stringify(r.figures)}${r.clientBound ? ' (CLIENT-BOUND)' : ''}, converged: ${r.converged}`,
      );
    }
    ctx.record('burst', { keystrokes: n, windowChars: WINDOW_CHARS }, servers);
  }
}
