import { useState } from 'react';
import { FieldHead, type FieldProps } from './fields';

/**
 * Stock is a counter: every change is a delta (+1, −1, "received 10", "sold 3"), never an
 * overwrite, so concurrent adjustments add up. Typing a number into the field is turned into the
 * difference from the value shown when editing started.
 */
export function StockField(props: FieldProps & { stock: number }) {
  const { session, field, readOnly, stock } = props;
  const id = `f-${field}`;
  const [draft, setDraft] = useState<{ base: number; text: string }>();
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string>();

  function adjust(delta: number) {
    if (!Number.isSafeInteger(delta) || delta === 0) return;
    const issues = session.edit({ [field]: { delta } });
    setError(issues.length ? issues.map((i) => i.message).join('; ') : undefined);
  }

  function commitDraft() {
    if (!draft) return;
    const n = Number(draft.text);
    if (draft.text.trim() === '' || !Number.isInteger(n)) setError('Stock must be a whole number');
    else adjust(n - draft.base);
    setDraft(undefined);
  }

  function amountValue(): number | undefined {
    const n = Number(amount);
    if (amount.trim() === '' || !Number.isInteger(n) || n <= 0) {
      setError('Enter a whole number of units greater than 0');
      return undefined;
    }
    return n;
  }

  return (
    <div className="field field-wide">
      <FieldHead id={id} label={props.label} field={field} others={props.others} />
      <div className="row">
        {!readOnly && (
          <button type="button" aria-label="Decrease by one" onClick={() => adjust(-1)}>
            −1
          </button>
        )}
        <input
          id={id}
          className="stock"
          type="number"
          step={1}
          readOnly={readOnly}
          value={draft ? draft.text : String(stock)}
          onFocus={() => session.setField(field)}
          onChange={(e) => setDraft({ base: draft?.base ?? stock, text: e.target.value })}
          onBlur={() => {
            commitDraft();
            session.setField(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commitDraft();
            }
          }}
        />
        {!readOnly && (
          <button type="button" aria-label="Increase by one" onClick={() => adjust(1)}>
            +1
          </button>
        )}
      </div>
      {!readOnly && (
        <div className="row">
          <label htmlFor="stock-amount" className="sub-label">
            Units received or sold
          </label>
          <input
            id="stock-amount"
            className="amount"
            type="number"
            min={1}
            step={1}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <button
            type="button"
            onClick={() => {
              const n = amountValue();
              if (n !== undefined) {
                adjust(n);
                setAmount('');
              }
            }}
          >
            Received
          </button>
          <button
            type="button"
            onClick={() => {
              const n = amountValue();
              if (n !== undefined) {
                adjust(-n);
                setAmount('');
              }
            }}
          >
            Sold
          </button>
        </div>
      )}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
