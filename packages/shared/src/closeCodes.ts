/**
 * WebSocket close codes shared by server and clients, grouped by what a client should do next
 * (SPEC: PROTO5). 1000–1015 are the standard codes; 4000–4999 are Concord's, following the
 * convention y-websocket's default `shouldReconnect` honours: 4400–4499 mirror HTTP 4xx (the
 * client must change something; it does not reconnect), 4500–4599 mean "try again later".
 */
export const CloseCode = {
  /** Server shutting down or restarting: reconnect (with backoff). */
  goingAway: 1001,
  /** Server overloaded: reconnect later. */
  tryAgainLater: 1013,
  /** Too many messages per second on one connection: reconnect after backoff. */
  rateLimited: 4529,
  /** The consumer could not keep up and the server stopped buffering: reconnect, resync. */
  slowConsumer: 4508,
  /**
   * The token this connection was opened with expired. Retryable: a client that can refresh its
   * token reconnects with the new one (a plain y-websocket client reconnecting with the old one is
   * refused with 4401).
   */
  sessionExpired: 4501,

  /** Missing, malformed, wrongly signed or expired token: get a new token first. */
  unauthorized: 4401,

  /** The token is valid but may not read this document: do not retry. */
  forbidden: 4403,
  /** The path is not a valid document name: do not retry. */
  invalidDocName: 4404,
  /** A frame could not be decoded (bad varint, truncated, unknown type): do not retry as is. */
  malformedMessage: 4400,
  /** A frame exceeded the server's maximum frame size. */
  messageTooLarge: 1009,
  /** The document would exceed the server's maximum document size. */
  documentTooLarge: 4413,
  /** The document has a newer schema than this app knows: reload to get the new version. */
  upgradeRequired: 4426,
} as const;

export type CloseAdvice = 'reconnect' | 'reauthenticate' | 'give_up';

const reconnect: ReadonlySet<number> = new Set([
  CloseCode.goingAway,
  CloseCode.tryAgainLater,
  CloseCode.rateLimited,
  CloseCode.slowConsumer,
  1006, // abnormal closure: network trouble
]);

/** What a client should do after the connection closed with `code`. */
export function closeAdvice(code: number): CloseAdvice {
  if (reconnect.has(code) || code === 1000 || code < 1000) return 'reconnect';
  if (code === CloseCode.unauthorized || code === CloseCode.sessionExpired) return 'reauthenticate';
  return code >= 4000 || code === CloseCode.messageTooLarge ? 'give_up' : 'reconnect';
}
