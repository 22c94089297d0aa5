/**
 * Stages 9 and 10 of the write pipeline, after a commit: acknowledge and broadcast.
 *
 * Broadcast: the committed updates of a document reach its connections merged into one message,
 * at most once per `windowMs` per document (SPEC FAN1). The first commit after a quiet window goes
 * out at the end of the turn; commits during the window wait for its end and go out together. A
 * busy document therefore costs one message per connection per window, however many edits it
 * receives, and a quiet one adds no delay. A connection that wrote everything in a message does
 * not receive it back.
 *
 * Acknowledge: the writer of a commit is acknowledged as soon as it is committed, never held back
 * by the broadcast window (the ack policy, acks.ts, decides who else hears and when).
 */
import type { Metrics } from '../metrics.js';
import { writeUpdate } from '../protocol/messages.js';
import type { AckPolicy } from './acks.js';
import type { LiveDoc, Peer } from './liveDoc.js';
import { mergeUpdates } from './manyUpdates.js';

interface Outgoing {
  updates: Uint8Array[];
  /** Connections whose updates these are (undefined: the server's, or another instance's). */
  writers: Set<Peer | undefined>;
  scheduled: boolean;
}

export class Broadcaster {
  private readonly outgoing = new Map<LiveDoc, Outgoing>();

  constructor(
    private readonly acks: AckPolicy,
    private readonly metrics: Metrics,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `updates` of `live` are committed: acknowledge `writer` now, broadcast within the window. */
  committed(live: LiveDoc, updates: readonly Uint8Array[], writer: Peer | undefined): void {
    this.acks.committed(live, writer ? [writer] : []);
    let out = this.outgoing.get(live);
    if (!out) {
      out = { updates: [], writers: new Set(), scheduled: false };
      this.outgoing.set(live, out);
    }
    out.updates.push(...updates);
    out.writers.add(writer);
    if (out.scheduled) return;
    out.scheduled = true;
    const wait = live.lastBroadcastAt + this.windowMs - this.now();
    const o = out;
    if (wait <= 0) setImmediate(() => this.flush(live, o));
    else setTimeout(() => this.flush(live, o), wait);
  }

  /** Drop what is pending for a document leaving memory. */
  forget(live: LiveDoc): void {
    // A flush already scheduled finds nothing to do.
    this.outgoing.delete(live);
  }

  close(): void {
    for (const live of [...this.outgoing.keys()]) this.forget(live);
  }

  private flush(live: LiveDoc, out: Outgoing): void {
    if (this.outgoing.get(live) !== out) return;
    this.outgoing.delete(live);
    if (live.destroyed || out.updates.length === 0 || live.peers.size === 0) return;
    live.lastBroadcastAt = this.now();
    const message = writeUpdate(mergeUpdates(out.updates));
    const only = out.writers.size === 1 ? [...out.writers][0] : undefined;
    let sent = 0;
    for (const peer of live.peers) {
      if (peer === only) continue;
      peer.send(message);
      sent += 1;
    }
    this.metrics.updatesOut.inc(sent);
  }
}
