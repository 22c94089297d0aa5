import { compareDocuments, type DocumentKind, type FieldDiff } from '@concord/shared';
import { FIELD_LABELS, formatFieldValue } from './format';

/**
 * Two versions side by side (CMP1): before/after for values, tags added and removed, text with its
 * insertions and deletions marked.
 */
export function CompareView({
  kind,
  from,
  to,
  onClose,
}: {
  kind: DocumentKind<object>;
  from: { seq: number; doc: Record<string, unknown> };
  to: { seq: number; doc: Record<string, unknown> };
  onClose: () => void;
}) {
  const diffs = compareDocuments(kind, from.doc, to.doc);
  return (
    <section className="compare" aria-label={`Compare version ${from.seq} with ${to.seq}`}>
      <h3>
        Version {from.seq} → version {to.seq}
      </h3>
      {diffs.length === 0 ? (
        <p className="muted small">No differences.</p>
      ) : (
        <table className="compare-table">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Version {from.seq}</th>
              <th scope="col">Version {to.seq}</th>
            </tr>
          </thead>
          <tbody>
            {diffs.map(({ field, diff }) => (
              <tr key={field} aria-label={FIELD_LABELS[field] ?? field}>
                <th scope="row">{FIELD_LABELS[field] ?? field}</th>
                <DiffCells field={field} diff={diff} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={onClose}>
        Close comparison
      </button>
    </section>
  );
}

function DiffCells({ field, diff }: { field: string; diff: FieldDiff }) {
  switch (diff.type) {
    case 'value':
      return (
        <>
          <td className="before">{formatFieldValue(field, diff.from)}</td>
          <td className="after">{formatFieldValue(field, diff.to)}</td>
        </>
      );
    case 'set':
      return (
        <td colSpan={2}>
          {diff.added.map((t) => (
            <ins key={`+${t}`} className="tag added" aria-label={`added ${t}`}>
              +{t}
            </ins>
          ))}
          {diff.removed.map((t) => (
            <del key={`-${t}`} className="tag removed" aria-label={`removed ${t}`}>
              −{t}
            </del>
          ))}
        </td>
      );
    case 'text':
      return (
        <td colSpan={2} className="text-diff">
          {diff.parts.map((p, i) =>
            p.added ? (
              <ins key={i}>{p.value}</ins>
            ) : p.removed ? (
              <del key={i}>{p.value}</del>
            ) : (
              <span key={i}>{p.value}</span>
            ),
          )}
        </td>
      );
  }
}
