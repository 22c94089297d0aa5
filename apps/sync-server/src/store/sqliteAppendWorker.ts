/**
 * The SQLite append path on a worker thread: the group commit's transaction and its fsync
 * (`synchronous=FULL`) run off the event loop, so sockets keep being served while a commit is on
 * disk. The worker runs the appender of sqliteAppend.ts, evaluated from source, which works the
 * same from TypeScript sources (tests) and from the build.
 *
 * A dead worker never leaves appends hanging (SPEC STOR2): its in-flight appends are rejected,
 * the store reports itself unready, and the next append starts a new worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AppendBatch, AppendOutcome } from './eventStore.js';
import { APPENDER_JS, packBatches, unpackOutcomes, type PackedOutcome } from './sqliteAppend.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
${APPENDER_JS}
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
const append = makeAppender(db);
parentPort.on('message', ({ id, batches, buf }) => {
  if (batches === null) { db.close(); parentPort.postMessage({ id, closed: true }); return; }
  try { parentPort.postMessage({ id, outcomes: append(batches, buf) }); }
  catch (error) { parentPort.postMessage({ id, error: String(error && error.message || error) }); }
});
`;

interface Reply {
  id: number;
  outcomes?: PackedOutcome[];
  error?: string;
  closed?: boolean;
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

/** Runs appends on a worker thread; restarts the worker if it dies. */
export class SqliteAppendWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  /** Why the last worker died, until a new one answers. */
  private dead: Error | undefined;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly driver = createRequire(import.meta.url).resolve('better-sqlite3');

  constructor(
    private readonly path: string,
    private readonly synchronous: 'FULL' | 'NORMAL',
  ) {
    this.start();
  }

  /** False while the worker is down (readiness). */
  get healthy(): boolean {
    return this.dead === undefined && this.worker !== undefined;
  }

  async append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]> {
    const { batches: packed, buf } = packBatches(batches);
    const reply = await this.call({ batches: packed, buf }, [buf]);
    if (reply.error !== undefined) throw new Error(reply.error);
    this.dead = undefined;
    return unpackOutcomes(batches, reply.outcomes ?? []);
  }

  /** For tests: the worker thread, to terminate it and watch the store recover. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    if (!this.worker) return;
    await this.call({ batches: null }, []).catch(() => undefined);
    await this.worker.terminate();
  }

  private start(): void {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, synchronous: this.synchronous, driver: this.driver },
    });
    this.worker = worker;
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    worker.on('error', (error) => this.died(worker, error));
    worker.on('exit', (code) =>
      this.died(worker, new Error(`SQLite append worker exited (code ${code})`)),
    );
  }

  private died(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    if (this.closing) return;
    this.dead = error;
    // Restart with backoff; the store is unready until the new worker has answered.
    const delay = Math.min(100 * 2 ** this.restarts, 5_000);
    this.restarts += 1;
    this.restartTimer = setTimeout(() => this.restart(), delay);
    this.restartTimer.unref();
  }

  private restart(): void {
    if (this.closing || this.worker) return;
    this.start();
    this.call({ batches: [], buf: new ArrayBuffer(0) }, []).then(
      (reply) => {
        if (reply.error === undefined) {
          this.dead = undefined;
          this.restarts = 0;
        }
      },
      () => undefined,
    );
  }

  private call(message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    const worker = this.worker;
    if (!worker) {
      return Promise.reject(
        this.closing ? new Error('SQLite store is closed') : (this.dead ?? new Error('no worker')),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message }, transfer);
    });
  }
}
