import { useState, type FormEvent } from 'react';

/** The message of a failed form action. */
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A form's submit: busy while `action` runs, its failure said in `error` (sign-in, setup, links). */
export function useSubmit(
  action: () => Promise<void>,
  describe: (e: unknown) => string = messageOf,
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, onSubmit: (event: FormEvent) => void submit(event) };
}

/** A form's error, read out when it appears. */
export function FormError({ error }: { error: string | undefined }) {
  return error ? (
    <p role="alert" className="error">
      {error}
    </p>
  ) : null;
}
