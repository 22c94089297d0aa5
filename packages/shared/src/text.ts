/**
 * Collaborative text (SPEC: TXT1–TXT2): everything a text field means lives here (`textField`).
 * Replacing the whole value of a Y.Text is expressed as the edits a character diff finds (common
 * prefix and suffix kept, and the characters both values share between them), so a "set the
 * description to …" patch touches only what it changes: a concurrent edit anywhere else in the text
 * survives it, and its update is as small as the change, not as the text.
 */
import type * as Y from 'yjs';
import { diffChars, diffWordsWithSpace } from 'diff';
import type { ChangeBody } from './apiTypes.js';
import { RevertError, refuseEntry, type FieldOps, type FieldSpec } from './fieldKind.js';
import { validateWith } from './validation.js';

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

/**
 * A character diff costs time in proportion to length × edit distance (characters inserted plus
 * removed), so it looks for at most MAX_DIFF_DISTANCE, and less in long texts: length × distance
 * stays under DIFF_BUDGET (about 2 ms here). Past that the middle is replaced in one splice.
 */
const MAX_DIFF_DISTANCE = 200;
const DIFF_BUDGET = 2_000_000;

/**
 * The edits turning `before` into `after`, in order, each index counted in the text as the edits
 * before it left it. Outside the common prefix and suffix a character diff keeps what both share,
 * so a value changed in several places (a trimmed start and a new end, a word replaced twice) is
 * that many small edits, not one splice re-inserting everything between them. Diffing works on
 * code points: no edit splits a surrogate pair.
 */
export function textEdits(before: string, after: string): TextEdit[] {
  const outer = minimalEdit(before, after);
  if (outer.deleteCount === 0 || outer.insert.length === 0)
    return outer.deleteCount === 0 && outer.insert.length === 0 ? [] : [outer];
  const removed = before.slice(outer.index, outer.index + outer.deleteCount);
  const length = removed.length + outer.insert.length;
  const maxEditLength = Math.min(MAX_DIFF_DISTANCE, Math.floor(DIFF_BUDGET / length));
  const parts =
    maxEditLength >= 2 ? diffChars(removed, outer.insert, { maxEditLength }) : undefined;
  if (!parts) return [outer];
  const edits: TextEdit[] = [];
  let at = outer.index;
  let pending: { index: number; deleteCount: number; insert: string } | undefined;
  for (const part of parts) {
    if (!part.added && !part.removed) {
      if (pending) edits.push(pending);
      pending = undefined;
      at += part.value.length;
      continue;
    }
    pending ??= { index: at, deleteCount: 0, insert: '' };
    if (part.removed) pending.deleteCount += part.value.length;
    else {
      pending.insert += part.value;
      at += part.value.length;
    }
  }
  if (pending) edits.push(pending);
  return edits;
}

/**
 * Make `text` read `value` with the edits `textEdits` finds, as one transaction (one update),
 * joining the caller's transaction when there is one.
 */
export function replaceText(text: Y.Text, value: string): void {
  const apply = () => {
    for (const edit of textEdits(text.toString(), value)) {
      if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount);
      if (edit.insert.length > 0) text.insert(edit.index, edit.insert);
    }
  };
  if (text.doc) text.doc.transact(apply);
  else apply();
}

type TextSpec = Extract<FieldSpec, { kind: 'text' }>;

const maxLength = (spec: TextSpec): number | undefined =>
  (spec.value as { maxLength?: number | null }).maxLength ?? undefined;

export const textField: FieldOps<TextSpec> = {
  prefix: 't',
  type: (doc, typeName) => doc.getText(typeName),
  read: (doc, typeName) => doc.getText(typeName).toString(),
  checkPatch(spec, field, value) {
    const r = validateWith(spec.value, value);
    return r.ok
      ? []
      : r.issues.map((i) => ({ ...i, field: i.field ? `${field}.${i.field}` : field }));
  },
  apply(doc, typeName, _spec, value) {
    replaceText(doc.getText(typeName), value as string);
    return undefined;
  },
  patchTo(_spec, from, to) {
    return from === to ? undefined : String(to ?? '');
  },
  repair(spec, current) {
    const text = typeof current === 'string' ? current : '';
    const max = maxLength(spec) ?? text.length;
    return text.length > max ? text.slice(0, max) : text;
  },
  compensate(doc, typeName, _spec, target) {
    replaceText(doc.getText(typeName), String(target ?? ''));
  },
  checkEntry: (field) => refuseEntry('malformed_entry', `${field} is text, not a map`),
  change(from, to) {
    const before = String(from ?? '');
    const after = String(to ?? '');
    if (before === after) return undefined;
    const edit = minimalEdit(before, after);
    return {
      at: edit.index,
      from: before.slice(edit.index, edit.index + edit.deleteCount),
      to: edit.insert,
    };
  },
  describe(change) {
    const { insert, deleted } = spliceOf(change);
    const parts = [];
    if (insert.length > 0) parts.push(`+${[...insert].length}`);
    if (deleted.length > 0) parts.push(`−${[...deleted].length}`);
    if (parts.length === 0) return 'unchanged';
    const quoted =
      deleted && insert ? `${quote(deleted)} → ${quote(insert)}` : quote(insert || deleted);
    return `${parts.join(' ')} characters: ${quoted}`;
  },
  combine(changes) {
    // Typing and deleting within a run of one's own typing is one net change (SES2); an edit
    // elsewhere starts another.
    const net: { at: number; from: string; to: string }[] = [];
    for (const change of changes) {
      const { at, deleted, insert } = spliceOf(change);
      const last = net.at(-1);
      const end = last ? last.at + last.to.length : -1;
      if (last && at >= last.at && at + deleted.length <= end) {
        const offset = at - last.at;
        last.to = last.to.slice(0, offset) + insert + last.to.slice(offset + deleted.length);
      } else if (last && at === end) {
        last.from += deleted;
        last.to += insert;
      } else if (last && at + deleted.length === last.at) {
        last.at = at;
        last.from = deleted + last.from;
        last.to = insert + last.to;
      } else {
        net.push({ at, from: deleted, to: insert });
      }
    }
    return net.filter((n) => n.from !== n.to);
  },
  revert(_spec, change, current) {
    const text = String(current ?? '');
    const { at, deleted, insert } = spliceOf(change);
    // Where the inserted text is now: where it was put, else its only occurrence.
    let where = text.slice(at, at + insert.length) === insert ? at : -1;
    if (where < 0 && insert.length > 0 && text.indexOf(insert) === text.lastIndexOf(insert))
      where = text.indexOf(insert);
    if (where < 0)
      return new RevertError('the text was changed around this edit since: edit it by hand');
    const next = text.slice(0, where) + deleted + text.slice(where + insert.length);
    return next === text ? undefined : next;
  },
  compare(from, to) {
    const parts = diffWordsWithSpace(String(from ?? ''), String(to ?? '')).map((p) => ({
      value: p.value,
      ...(p.added ? { added: true as const } : {}),
      ...(p.removed ? { removed: true as const } : {}),
    }));
    return { type: 'text', parts };
  },
};

/** A recorded text change as a splice; entries logged before splices hold both whole texts. */
function spliceOf({ from, to, at }: ChangeBody): { at: number; deleted: string; insert: string } {
  if (at !== undefined) return { at, deleted: String(from ?? ''), insert: String(to ?? '') };
  const before = String(from ?? '');
  const edit = minimalEdit(before, String(to ?? ''));
  return {
    at: edit.index,
    deleted: before.slice(edit.index, edit.index + edit.deleteCount),
    insert: edit.insert,
  };
}

const SNIPPET = 60;

function quote(text: string): string {
  const chars = [...text];
  return `“${chars.length > SNIPPET ? `${chars.slice(0, SNIPPET).join('')}…` : text}”`;
}
