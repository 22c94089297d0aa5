import { createContext, useContext, useState } from 'react';
import { describeChange, type DocumentKind, type FieldChange } from '@concord/shared';
import type { ApiClient } from '../api/client';
import { formatFieldValue } from './format';

/** Answers "who last changed this field?" for the document being edited (BLAME1). */
export interface BlameSource {
  describe(field: string): Promise<string>;
}

export const BlameContext = createContext<BlameSource | undefined>(undefined);

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

function ago(ts: number, now: number): string {
  const ms = ts - now;
  for (const [unit, size] of UNITS)
    if (Math.abs(ms) >= size) return relative.format(Math.round(ms / size), unit);
  return relative.format(Math.round(ms / 1000), 'second');
}

/**
 * Blame of one document from the server's index, fetched when first asked and again once the
 * document has moved on (`version()` changed).
 */
export function blameSource(
  api: ApiClient,
  doc: string,
  kind: DocumentKind<object>,
  version: () => number,
  nameOf: (user: string) => string,
): BlameSource {
  let cached: { at: number; answer: Awaited<ReturnType<ApiClient['blame']>> } | undefined;
  return {
    async describe(field) {
      if (!cached || cached.at !== version())
        cached = { at: version(), answer: await api.blame(doc) };
      const last = cached.answer.fields[field];
      if (!last) return 'Not changed since the document was created here.';
      const change: FieldChange = last.change;
      const was =
        kind.fields[field]?.kind === 'text'
          ? describeChange(kind, change)
          : `from ${formatFieldValue(field, change.from)}`;
      return `Last changed by ${nameOf(last.user)}, ${ago(last.ts, Date.now())}, ${was}`;
    },
  };
}

/** The "who changed this?" button next to a field's label, and its answer. */
export function BlameButton({ field, label }: { field: string; label: string }) {
  const source = useContext(BlameContext);
  const [text, setText] = useState<string>();
  const [open, setOpen] = useState(false);
  if (!source) return null;
  async function toggle() {
    const next = !open;
    setOpen(next);
    if (next) {
      setText(undefined);
      setText(
        await source!.describe(field).catch(() => 'Who changed it is known when you are online.'),
      );
    }
  }
  return (
    <>
      <button
        type="button"
        className="blame-button"
        // Not the field's name: `getByLabel('Price')` must find the field alone.
        aria-label="Who changed this?"
        data-field={label}
        aria-expanded={open}
        title={text}
        onClick={() => void toggle()}
      >
        ⓘ
      </button>
      {open && (
        <span className="blame muted small" role="note">
          {text ?? 'Looking up…'}
        </span>
      )}
    </>
  );
}
