/**
 * Change events: every committed log entry yields one event `{id: "<doc>:<seq>", doc, seq, user,
 * ts, changes}`; consumers are idempotent on `id`. The seam has an in-process implementation
 * (embedded mode) and a Redis Streams one (scale-out).
 */
import type { FieldChange, LogEntry } from '../store/eventStore.js';

export interface ChangeEvent {
  readonly id: string;
  readonly doc: string;
  readonly seq: number;
  readonly user: string;
  readonly ts: number;
  readonly kind: LogEntry['kind'];
  readonly changes: readonly FieldChange[];
}

export function changeEventOf(entry: LogEntry): ChangeEvent {
  return {
    id: `${entry.doc}:${entry.seq}`,
    doc: entry.doc,
    seq: entry.seq,
    user: entry.user,
    ts: entry.ts,
    kind: entry.kind,
    changes: entry.changes,
  };
}

export interface ChangeFeed {
  publish(events: readonly ChangeEvent[]): void;
  /** Receive events published after subscribing; returns an unsubscribe function. */
  subscribe(handler: (event: ChangeEvent) => void): () => void;
  close(): Promise<void>;
}

/** In-process feed: handlers run after the current turn, and a throwing handler harms no other. */
export class InProcessChangeFeed implements ChangeFeed {
  private readonly handlers = new Set<(event: ChangeEvent) => void>();

  publish(events: readonly ChangeEvent[]): void {
    if (this.handlers.size === 0 || events.length === 0) return;
    queueMicrotask(() => {
      for (const event of events) {
        for (const handler of this.handlers) {
          try {
            handler(event);
          } catch {
            // a consumer's failure is its own; others carry on
          }
        }
      }
    });
  }

  subscribe(handler: (event: ChangeEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
