/**
 * Collaborative text (SPEC: TXT1–TXT2). Replacing the whole value of a Y.Text is expressed as the
 * minimal single edit (common prefix and suffix kept), so a concurrent edit elsewhere in the text
 * survives a "set the description to …" patch.
 */
import type * as Y from 'yjs';

export interface TextEdit {
  readonly index: number;
  readonly deleteCount: number;
  readonly insert: string;
}

/** The single splice turning `before` into `after`, keeping the longest common prefix and suffix. */
export function minimalEdit(before: string, after: string): TextEdit {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Never split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end++;
  }
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return {
    index: start,
    deleteCount: before.length - start - end,
    insert: after.slice(start, after.length - end),
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Make `text` read `value` with the smallest edit. */
export function replaceText(text: Y.Text, value: string): void {
  const edit = minimalEdit(text.toString(), value);
  if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount);
  if (edit.insert.length > 0) text.insert(edit.index, edit.insert);
}
