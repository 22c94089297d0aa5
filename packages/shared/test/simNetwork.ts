/**
 * A simulated network of Yjs replicas for convergence tests. Each directed link has a queue of
 * updates; the test decides what happens next: deliver a random queued update (random order),
 * duplicate one, drop one (recovered later by a state-vector resync), partition the replicas into
 * groups (updates across groups are lost), or heal (every pair resyncs and queues drain).
 */
import * as Y from 'yjs';

const SIM = Symbol('sim-network');

export interface SimReplica {
  readonly index: number;
  readonly doc: Y.Doc;
}

export class SimNetwork {
  readonly replicas: SimReplica[];
  private readonly queues = new Map<string, Uint8Array[]>();
  private groups: number[];

  constructor(
    count: number,
    private readonly random: () => number,
  ) {
    this.groups = Array.from({ length: count }, () => 0);
    this.replicas = Array.from({ length: count }, (_, index) => {
      const doc = new Y.Doc();
      doc.clientID = index + 1; // small, distinct ids keep failures readable
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === SIM) return;
        for (let to = 0; to < count; to++) {
          if (to !== index && this.connected(index, to)) this.queue(index, to).push(update);
        }
      });
      return { index, doc };
    });
  }

  connected(a: number, b: number): boolean {
    return this.groups[a] === this.groups[b];
  }

  private queue(from: number, to: number): Uint8Array[] {
    const key = `${from}->${to}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    return q;
  }

  private pick(q: Uint8Array[]): number {
    return Math.floor(this.random() * q.length);
  }

  /** Deliver one randomly chosen queued update on the link (random order). */
  deliver(from: number, to: number): boolean {
    const q = this.queue(from, to);
    if (q.length === 0 || !this.connected(from, to)) return false;
    const [update] = q.splice(this.pick(q), 1);
    const target = this.replicas[to];
    if (update && target) Y.applyUpdate(target.doc, update, SIM);
    return true;
  }

  /** Queue a second copy of a random queued update. */
  duplicate(from: number, to: number): void {
    const q = this.queue(from, to);
    const update = q[this.pick(q)];
    if (update) q.push(update);
  }

  /** Lose a random queued update; only a later resync recovers it. */
  drop(from: number, to: number): void {
    const q = this.queue(from, to);
    if (q.length > 0) q.splice(this.pick(q), 1);
  }

  /** Split replicas into groups; queued traffic across groups is lost. */
  partition(groups: number[]): void {
    this.groups = this.replicas.map((_, i) => groups[i] ?? 0);
    for (const [key, q] of this.queues) {
      const [from, to] = key.split('->').map(Number) as [number, number];
      if (!this.connected(from, to)) q.length = 0;
    }
  }

  /** Everyone connected again; every pair exchanges what the other lacks; all queues drain. */
  heal(): void {
    this.groups = this.replicas.map(() => 0);
    for (const a of this.replicas) {
      for (const b of this.replicas) {
        if (a === b) continue;
        const missing = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc));
        Y.applyUpdate(b.doc, missing, SIM);
      }
    }
    for (let from = 0; from < this.replicas.length; from++) {
      for (let to = 0; to < this.replicas.length; to++) {
        while (from !== to && this.deliver(from, to));
      }
    }
  }

  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}

/** Small deterministic PRNG (mulberry32) for schedules derived from a fast-check seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
