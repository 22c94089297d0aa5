/**
 * Pushes a document's unsaved edits when no screen has it open: a short-lived session that
 * connects, waits for the server to acknowledge everything (or gives up after a while), and
 * closes. Answers whether everything was saved.
 */
import type { DocSession } from './docSession';

const FLUSH_TIMEOUT_MS = 20_000;

export async function flushDocument(open: () => Promise<DocSession>): Promise<boolean> {
  const session = await open();
  const saved = await new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timeout);
      unsubscribe();
      resolve(ok);
    };
    const timeout = setTimeout(() => done(false), FLUSH_TIMEOUT_MS);
    const unsubscribe = session.store.subscribe((s) => {
      if (s.acked && s.unsaved === 0) done(true);
    });
    const s = session.store.getState();
    if (s.acked && s.unsaved === 0) done(true);
  });
  await session.destroy();
  return saved;
}
