/**
 * A WebSocket close reason may carry at most 123 bytes of UTF-8 (RFC 6455 §5.5: a control frame's
 * payload is ≤ 125 bytes, two of them the code). Every close the server sends builds its reason
 * here, cut on a character boundary, so no input can make `close` throw (SPEC CRASH1).
 */
const MAX_REASON_BYTES = 123;
const ELLIPSIS = '...';

export function closeReason(text: string): string {
  // Byte counts are those of the UTF-8 that is sent (a lone surrogate becomes 3 bytes).
  if (Buffer.byteLength(text) <= MAX_REASON_BYTES) return text;
  let out = '';
  let bytes = 0;
  const budget = MAX_REASON_BYTES - ELLIPSIS.length;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > budget) break;
    out += ch;
    bytes += size;
  }
  return out + ELLIPSIS;
}
