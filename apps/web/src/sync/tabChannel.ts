/**
 * Live edits between tabs of one browser, with or without the server: a BroadcastChannel per
 * document. A new tab announces its state vector; others answer with what it lacks; afterwards
 * every local edit is published. Applying an update twice is harmless in Yjs.
 */
import * as Y from 'yjs';
import { Origin } from '@concord/shared';

type Message =
  { type: 'hello'; sv: Uint8Array; reply: boolean } | { type: 'update'; update: Uint8Array };

export interface TabChannel {
  publish(update: Uint8Array): void;
  close(): void;
}

export function openTabChannel(docName: string, doc: Y.Doc): TabChannel {
  if (typeof BroadcastChannel === 'undefined') return { publish() {}, close() {} };
  const channel = new BroadcastChannel(`concord-doc:${docName}`);
  channel.onmessage = (event: MessageEvent<Message>) => {
    const msg = event.data;
    if (msg.type === 'hello') {
      const missing = Y.encodeStateAsUpdate(doc, msg.sv);
      // An empty diff is two bytes (no structs, no deletions).
      if (missing.length > 2)
        channel.postMessage({ type: 'update', update: missing } satisfies Message);
      // Also ask the newcomer for what we lack (once: replies are not answered with hellos).
      if (!msg.reply) {
        channel.postMessage({
          type: 'hello',
          sv: Y.encodeStateVector(doc),
          reply: true,
        } satisfies Message);
      }
    } else if (msg.type === 'update') {
      Y.applyUpdate(doc, msg.update, Origin.tab);
    }
  };
  channel.postMessage({
    type: 'hello',
    sv: Y.encodeStateVector(doc),
    reply: false,
  } satisfies Message);
  return {
    publish(update) {
      channel.postMessage({ type: 'update', update } satisfies Message);
    },
    close() {
      channel.close();
    },
  };
}

/** Sends an update written elsewhere (a bulk edit) to every open session of `docName`, this tab's too. */
export function publishToTabs(docName: string, update: Uint8Array): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(`concord-doc:${docName}`);
  channel.postMessage({ type: 'update', update } satisfies Message);
  channel.close();
}
