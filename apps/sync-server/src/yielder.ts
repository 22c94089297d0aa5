/**
 * Long work in turns: a caller that has held the event loop for `budgetMs` awaits one turn, so
 * sockets, timers and other requests get served in between (SPEC LIM4, LIM6).
 */
export function yielder(budgetMs = 20): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < budgetMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
