/**
 * Every Yjs transaction Concord makes carries one of these origins, so "don't echo to the sender"
 * and "don't persist what was just loaded" are plain comparisons.
 */
export const Origin = {
  /** An edit made by the person on this replica. */
  local: 'concord:local',
  /** Content read back from local or server storage. */
  storage: 'concord:storage',
  /** A compensating or restoring edit made by the server. */
  server: 'concord:server',
  /** A schema migration. */
  migration: 'concord:migration',
} as const;
