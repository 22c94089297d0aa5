import type { ErrorEvent } from '@concord/shared';
import type { DocSession } from '../sync/docSession';
import { FIELD_LABELS } from './format';
import { useVanilla } from './hooks';

const EXPLAIN: Record<string, string> = {
  read_only: 'The server refused your change: you may not edit this document.',
  invalid_document:
    'The server rejected your change because it made the document invalid; the affected fields were put back.',
  clock_skew:
    "Your device's clock is too far ahead, so the server refused the change. Check the date and time settings.",
  clock_range: 'The server refused a change with a malformed timestamp from this device.',
  forged_identity:
    'The server refused a change that was not written as you (another person’s edit, or a slot that is not yours).',
  missing_dependencies:
    'The server refused a change that builds on edits it does not have; this device will send everything again.',
  awareness_refused: 'The server ignored presence information from this device.',
  document_too_large: 'The server refused your change: the document would become too large.',
  malformed_update: 'The server could not read a change from this device.',
  storage_failure: 'The server could not save your change. It will be retried.',
};

function describeServerError(event: ErrorEvent): string {
  const fields = (event.fields ?? []).map((f) => FIELD_LABELS[f] ?? f);
  const base = EXPLAIN[event.code] ?? 'The server reported a problem.';
  return `${base}${fields.length ? ` Fields: ${fields.join(', ')}.` : ''}${event.message ? ` (${event.message})` : ''}`;
}

export function ServerMessages({ session }: { session: DocSession }) {
  const messages = useVanilla(session.store, (s) => s.messages);
  if (messages.length === 0) return null;
  return (
    <div className="messages">
      {messages.map((m) => (
        <div key={m.id} role="alert" className="banner error">
          <span>{describeServerError(m.event)}</span>
          <button type="button" onClick={() => session.dismissMessage(m.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
