import { describe, expect, it } from 'vitest';
import { statusText } from '../src/sync/syncStatus';

describe('statusText', () => {
  it('says Offline when offline with nothing unsaved', () => {
    expect(statusText({ online: false, connection: 'offline', acked: false, unsaved: 0 })).toBe(
      'Offline',
    );
  });
  it('counts unsaved changes while not connected', () => {
    expect(statusText({ online: false, connection: 'offline', acked: false, unsaved: 3 })).toBe(
      '3 unsaved changes',
    );
    expect(statusText({ online: true, connection: 'connecting', acked: false, unsaved: 1 })).toBe(
      '1 unsaved change',
    );
  });
  it('is Syncing while connected and waiting for the acknowledgement', () => {
    expect(statusText({ online: true, connection: 'connected', acked: true, unsaved: 2 })).toBe(
      'Syncing',
    );
    expect(statusText({ online: true, connection: 'connected', acked: false, unsaved: 0 })).toBe(
      'Syncing',
    );
  });
  it('says All changes saved only after the server acknowledged', () => {
    expect(statusText({ online: true, connection: 'connected', acked: true, unsaved: 0 })).toBe(
      'All changes saved',
    );
  });
});
