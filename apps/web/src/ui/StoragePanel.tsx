/**
 * The "Storage" panel in the top bar: what Concord keeps on this device (documents, unsaved
 * changes), how much of the browser's quota it uses, and whether the browser may clear it.
 */
import { useEffect } from 'react';
import type { StorageHealthMonitor } from '../storage/storageHealth';
import type { Workspace } from '../sync/workspace';
import { useVanilla } from './hooks';

const REFRESH_MS = 10_000;

export function StoragePanel({
  workspace,
  health,
}: {
  workspace: Workspace;
  health: StorageHealthMonitor;
}) {
  const { usage, quota, persisted, requestRefused, memoryOnly, reconnectedAt } = useVanilla(
    health.store,
    (s) => s,
  );
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const storageError = useVanilla(workspace.catalog, (s) => s.storageError);
  useEffect(() => {
    void health.refresh();
    const timer = setInterval(() => void health.refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [health]);
  const unsaved = workspace.unsavedTotal();
  const problem = storageError !== undefined || persisted === false || memoryOnly === true;

  return (
    <details className={`storage-panel${problem ? ' problem' : ''}`}>
      <summary>Storage</summary>
      <div className="storage-body" role="group" aria-label="Storage on this device">
        <p>
          {docs.size.toLocaleString()} documents on this device
          {unsaved > 0 ? `, ${unsaved.toLocaleString()} unsaved changes among them` : ''}.
        </p>
        {usage !== undefined && quota !== undefined && quota > 0 ? (
          <>
            <label htmlFor="storage-usage">
              Using {formatBytes(usage)} of {formatBytes(quota)} (
              {((usage / quota) * 100).toFixed(usage / quota < 0.01 ? 2 : 0)} %)
            </label>
            <meter id="storage-usage" min={0} max={quota} value={usage} high={quota * 0.8} />
          </>
        ) : (
          <p className="muted">This browser does not say how much space is used.</p>
        )}
        {persisted === true && (
          <p className="ok">Kept on this device: the browser will not clear it.</p>
        )}
        {persisted === false && (
          <p>
            The browser may clear this data when the device runs short of space; unsaved changes
            would be lost.{' '}
            <button type="button" onClick={() => void health.requestPersistence()}>
              Keep data on this device
            </button>
            {requestRefused && (
              <span className="muted">
                {' '}
                The browser declined; it usually allows this for sites you use often or install.
              </span>
            )}
          </p>
        )}
        {memoryOnly && (
          <p className="error">
            This browser does not let Concord store data: edits live in this tab only until they are
            saved to the server. Keep the tab open while offline.
          </p>
        )}
        {reconnectedAt !== undefined && (
          <p className="muted">
            The browser closed this device's database at{' '}
            {new Date(reconnectedAt).toLocaleTimeString()}; Concord reopened it and went on. Nothing
            already stored was lost.
          </p>
        )}
        {storageError && <p className="error">{storageError}</p>}
      </div>
    </details>
  );
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}
