/**
 * Every Yjs transaction Concord makes carries one of these origins, or the connection an update
 * came over, so "don't echo to the sender", "don't persist what was just loaded" and "count this
 * as a local edit" are plain comparisons.
 */
export const Origin = {
  /** An edit made by the person on this replica. */
  local: 'concord:local',
  /** Content read back from local or server storage. */
  storage: 'concord:storage',
  /** A compensating, restoring or HTTP edit made by the server. */
  server: 'concord:server',
  /** A schema migration. */
  migration: 'concord:migration',
  /** An edit relayed from another tab of this browser. */
  tab: 'concord:tab',
  /** Entries committed elsewhere (another server instance, a catch-up from the log). */
  remote: 'concord:remote',
} as const;

export type OriginName = (typeof Origin)[keyof typeof Origin];

/** A transaction's origin: a named one, or the connection (peer) the update arrived on. */
export type TxOrigin = OriginName | object;
