import { describe, expect, it } from 'vitest';
import { statusText } from '../src/sync/syncStatus';
import { addPending, mergeVectors, stillPending, unsavedCount } from '../src/sync/savedEdits';

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

describe('saved edits', () => {
  it('an edit is saved once the acknowledged clock of its client reaches it', () => {
    let pending = addPending([], [7, 3]);
    pending = addPending(pending, [7, 5]);
    pending = addPending(pending, [9, 1]);
    const ack = new Map([[7, 4]]);
    expect(unsavedCount(pending, ack)).toBe(2);
    expect(
      stillPending(
        pending,
        mergeVectors(
          ack,
          new Map([
            [7, 5],
            [9, 1],
          ]),
        ),
      ),
    ).toEqual([]);
  });
  it('acknowledgements never go backwards', () => {
    expect(
      mergeVectors(
        new Map([[1, 5]]),
        new Map([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toEqual(
      new Map([
        [1, 5],
        [2, 1],
      ]),
    );
  });
});
