/**
 * Long work in turns: sockets, timers and other requests get served in between (SPEC LIM4, LIM6).
 */

/** Resolves in the next turn of the event loop, after the I/O waiting now. */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** A pause that awaits a turn once the caller has held the event loop for `budgetMs`. */
export function yielder(budgetMs = 20): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < budgetMs) return;
    await nextTurn();
    since = performance.now();
  };
}
