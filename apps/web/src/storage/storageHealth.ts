/**
 * How this device's storage is doing, for the Storage panel: how much Concord uses of the quota
 * the browser grants, and whether the browser promised not to clear it under storage pressure
 * (persistent storage). Read from `navigator.storage`; every part is optional, as browsers differ.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface StorageHealth {
  /** Bytes used by this origin, as the browser estimates it. */
  readonly usage?: number;
  /** Bytes this origin may use. */
  readonly quota?: number;
  /** Persistent storage granted (undefined: this browser cannot say). */
  readonly persisted?: boolean;
  /** What the last request for persistent storage answered. */
  readonly requestRefused?: boolean;
  /** IndexedDB could not be opened: data lives in this tab's memory only. */
  readonly memoryOnly?: boolean;
  /** When the browser last closed the database under Concord (which reopened it). */
  readonly reconnectedAt?: number;
}

type Manager = Pick<StorageManager, 'estimate'> &
  Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

export class StorageHealthMonitor {
  readonly store: StoreApi<StorageHealth> = createStore<StorageHealth>(() => ({}));

  constructor(private readonly manager: Manager | undefined) {}

  async refresh(): Promise<void> {
    if (!this.manager) return;
    const [estimate, persisted] = await Promise.all([
      this.manager.estimate().catch(() => undefined),
      this.manager.persisted?.().catch(() => undefined),
    ]);
    this.store.setState({
      ...(estimate?.usage !== undefined ? { usage: estimate.usage } : {}),
      ...(estimate?.quota !== undefined ? { quota: estimate.quota } : {}),
      ...(persisted !== undefined ? { persisted } : {}),
    });
  }

  noteMemoryOnly(): void {
    this.store.setState({ memoryOnly: true });
  }

  noteReconnect(): void {
    this.store.setState({ reconnectedAt: Date.now() });
  }

  /** Asks the browser to keep this device's data (browsers may decide without asking anyone). */
  async requestPersistence(): Promise<boolean> {
    const granted = (await this.manager?.persist?.().catch(() => false)) ?? false;
    this.store.setState({ persisted: granted, requestRefused: !granted });
    return granted;
  }
}
