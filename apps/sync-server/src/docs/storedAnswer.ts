/**
 * A fresh client of a document that is still loading is answered from the stored snapshot
 * (SPEC LOAD1). When the log holds a snapshot and nothing after it, that snapshot is the whole
 * document as the log holds it, and a client that holds nothing (sync step 1 with an empty state
 * vector) needs exactly those bytes. Sent before the server builds its own copy from them, they
 * reach the client one build earlier, and the two builds run at once, one on each side: a
 * 100,000-update product takes 150–300 ms to build. Once loaded, the client's sync step 1 is
 * answered as if it held the snapshot: with what the document gained since, usually nothing.
 * Only a large snapshot is offered (from 16 KiB, as MEM5), and a load offering it waits for its
 * clients' sync step 1 — a round trip after they connect — at most `STORED_ASK_WAIT_MS`.
 *
 * Only a snapshot whose recorded schema version is the kind's current one qualifies: an older
 * document is migrated before anyone sees it (MIG5), a newer one is only read (MIG7), and a
 * client that knows only older versions gets no document data of this one (MIG6).
 */
import type { DocumentKind } from '@concord/shared';
import { readClientMessage } from '../protocol/messages.js';
import type { Snapshot } from '../store/eventStore.js';
import { KEEP_WHOLE_FROM } from './liveDoc.js';

export interface StoredState {
  readonly state: Uint8Array;
  readonly schemaVersion: number;
}

/**
 * A loading document's stored state, offered to the connections waiting for it. The build waits
 * (`asked`) until each of them has sent its sync step 1 — a client sends it as soon as it is
 * connected — or closed, and at most `maxMs`, so that a fresh client is answered before the
 * build holds the event loop.
 */
export class StoredOffer {
  private undecided = 0;
  private wake: (() => void) | undefined;

  constructor(readonly stored: StoredState) {}

  /** A connection has not sent its sync step 1 yet: call the result once it has, or closed. */
  awaitAsk(): () => void {
    this.undecided += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.undecided -= 1;
      if (this.undecided === 0) this.wake?.();
    };
  }

  /** Resolves once no connection is left to send its sync step 1, or after `maxMs`. */
  asked(maxMs: number): Promise<void> {
    if (this.undecided === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), maxMs);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/**
 * The stored state fresh clients may be given as it is, if the log has one and it is large: a
 * smaller one is built in a few milliseconds, less than the wait for a client's sync step 1 (a
 * round trip) would cost the document's other clients.
 */
export function storedStateOf(
  kind: DocumentKind<object>,
  snapshot: Snapshot | undefined,
  tailLength: number,
): StoredState | undefined {
  if (!snapshot || tailLength > 0 || snapshot.schemaVersion !== kind.schemaVersion)
    return undefined;
  if (snapshot.state.byteLength < KEEP_WHOLE_FROM) return undefined;
  return { state: snapshot.state, schemaVersion: snapshot.schemaVersion };
}

/** The state vector of a client that holds nothing (no client ids: one varuint, 0). */
export function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.byteLength === 1 && stateVector[0] === 0;
}

/**
 * Among frames received in order: is the first sync step 1 a client's that holds nothing
 * ('fresh'), another ('other'), or is there none yet ('none')? An undecodable frame ends the
 * search ('other'): it is refused where it is handled.
 */
export function firstSyncStep1(frames: readonly Uint8Array[]): 'fresh' | 'other' | 'none' {
  for (const frame of frames) {
    let message;
    try {
      message = readClientMessage(frame);
    } catch {
      return 'other';
    }
    if (message.kind === 'syncStep1')
      return isEmptyStateVector(message.stateVector) ? 'fresh' : 'other';
  }
  return 'none';
}
