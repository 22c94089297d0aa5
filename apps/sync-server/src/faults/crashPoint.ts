/**
 * Named crash points, for fault-injection tests of the order saga (SAGA3): a process started with
 * `CONCORD_CRASH_AT=<name>[,<name>…]` kills itself with SIGKILL — no cleanup, no flush, exactly
 * like `kill -9` — the first time it reaches a point of that name. Unset (always, outside such
 * tests), a crash point does nothing. The names are listed in SPEC.md (SAGA3).
 */
const armed = new Set(
  (process.env.CONCORD_CRASH_AT ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

export function crashPoint(name: string): void {
  if (armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
