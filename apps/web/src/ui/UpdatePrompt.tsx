import { appUpdate } from '../sync/appUpdate';
import { useVanilla } from './hooks';

/** "A new version is available — Reload": shown on every screen once a new build is waiting. */
export function UpdatePrompt() {
  const reload = useVanilla(appUpdate, (s) => s.reload);
  if (!reload) return null;
  return (
    <div role="alert" className="banner update-prompt">
      <span>A new version of Concord is available.</span>
      <button type="button" className="primary" onClick={reload}>
        Reload
      </button>
    </div>
  );
}
