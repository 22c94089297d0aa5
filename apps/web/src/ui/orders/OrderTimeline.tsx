/**
 * The saga of one order, step by step, from the order's own history: every status the server
 * wrote, with its reason ("Payment declined → Reservation released"). Read again whenever the
 * status changes.
 */
import { useEffect, useState } from 'react';
import type { ApiClient } from '../../api/client';
import { stepOf, type TimelineStep } from './orderStatus';

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function OrderTimeline({
  api,
  doc,
  status,
}: {
  api: ApiClient;
  doc: string;
  status: string;
}) {
  const [steps, setSteps] = useState<TimelineStep[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (status === 'draft') {
      setSteps([]);
      return;
    }
    let live = true;
    api.history(doc).then(
      (page) => {
        if (!live) return;
        const changes = [...page.entries]
          .reverse()
          .map((e) => ({
            at: e.ts,
            status: e.changes.find((c) => c.field === 'status')?.to,
            reason: e.changes.find((c) => c.field === 'statusReason')?.to,
          }))
          .filter(
            (c): c is { at: number; status: string; reason: unknown } =>
              typeof c.status === 'string',
          );
        setSteps(
          changes.flatMap((c, i) =>
            stepOf(
              c.status,
              typeof c.reason === 'string' ? c.reason : '',
              c.at,
              i === changes.length - 1,
            ),
          ),
        );
        setError(undefined);
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [api, doc, status]);

  if (status === 'draft') return null;
  return (
    <section className="timeline" aria-label="Order timeline">
      <h2>Timeline</h2>
      {error && <p className="muted small">The timeline needs a connection ({error}).</p>}
      <ol>
        {(steps ?? []).map((s, i) => (
          <li key={i} className={`step step-${s.state}`}>
            <span className="step-mark" aria-hidden="true">
              {s.state === 'done' ? '✓' : s.state === 'pending' ? '…' : '✗'}
            </span>
            <span className="step-label">
              {s.label}
              <span className="visually-hidden">
                {s.state === 'done'
                  ? ' (done)'
                  : s.state === 'pending'
                    ? ' (in progress)'
                    : ' (failed)'}
              </span>
            </span>
            <time className="muted small" dateTime={new Date(s.at).toISOString()}>
              {timeFormat.format(s.at)}
            </time>
          </li>
        ))}
      </ol>
    </section>
  );
}
