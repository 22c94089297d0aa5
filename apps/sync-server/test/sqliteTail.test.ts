import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../src/store/sqliteAppend.js';
import { SqliteTailReader, type TailEntry } from '../src/store/sqliteTail.js';

function logWith(rows: [doc: string, seq: number, update: number[]][]): Database.Database {
  const db = new Database(':memory:');
  db.exec(SCHEMA_SQL);
  const insert = db.prepare(
    `INSERT INTO log (doc, seq, ts, user, kind, reason, changes, "update") VALUES (?, ?, 0, 'u', 'edit', NULL, '[]', ?)`,
  );
  for (const [doc, seq, update] of rows) insert.run(doc, seq, Buffer.from(update));
  return db;
}

const plain = (entries: { seq: number; update: Uint8Array }[]) =>
  entries.map((e) => ({ seq: e.seq, update: [...e.update] }));

/** `read` holds exactly the rows of its document with `after < seq <= at`, as a row-by-row read. */
function expectRange(
  read: TailEntry[],
  reader: SqliteTailReader,
  rows: [string, number, number[]][],
  after: number,
  at: number,
): void {
  const doc = rows[0]![0];
  const wanted = rows.filter(([d, seq]) => d === doc && seq > after && seq <= at);
  expect(read.map((e) => e.seq)).toEqual(wanted.map(([, seq]) => seq));
  expect(plain(read)).toEqual(wanted.map(([, seq, update]) => ({ seq, update })));
  expect(plain(read)).toEqual(plain(reader.readRowByRow(doc, after, at)));
}

describe('SqliteTailReader: one concatenated read, the same entries as a row-by-row read', () => {
  it('cuts the concatenation at the right places and keeps to the range asked for', () => {
    const rows: [string, number, number[]][] = Array.from({ length: 50 }, (_, i) => [
      'product:a',
      i + 1,
      Array.from({ length: (i * 7) % 13 }, (_, j) => (i * 31 + j * 17) % 256),
    ]);
    const db = logWith([...rows, ['product:b', 1, [1, 2, 3]]]);
    const reader = new SqliteTailReader(db);
    for (const [after, at] of [
      [0, Number.MAX_SAFE_INTEGER],
      [10, 20],
      [49, 50],
    ] as const)
      expectRange(reader.read('product:a', after, at), reader, rows, after, at);
    // The fast path ran: every entry is a view of the one concatenated buffer.
    expect(new Set(reader.read('product:a', 0, 50).map((e) => e.update.buffer)).size).toBe(1);
    expect(reader.read('product:a', 50, 60)).toEqual([]);
    expect(reader.read('product:none', 0, 10)).toEqual([]);
  });

  it('reads row by row when the seqs have a gap (they cannot be numbered from the first)', () => {
    const db = logWith([
      ['product:a', 1, [1]],
      ['product:a', 2, [2, 2]],
      ['product:a', 5, [5, 5, 5]],
    ]);
    const read = new SqliteTailReader(db).read('product:a', 0, 10);
    expect(plain(read)).toEqual([
      { seq: 1, update: [1] },
      { seq: 2, update: [2, 2] },
      { seq: 5, update: [5, 5, 5] },
    ]);
  });

  it('reads a long tail in ranges, each entry once, up to the seq asked for', async () => {
    const rows: [string, number, number[]][] = Array.from({ length: 45_000 }, (_, i) => [
      'product:long',
      i + 1,
      [i % 256, (i >> 8) % 256, 7],
    ]);
    const db = logWith(rows);
    const reader = new SqliteTailReader(db);
    for (const [after, at] of [
      [0, Number.MAX_SAFE_INTEGER],
      [5, 40_001],
      [19_999, 20_001],
    ] as const)
      expectRange(await reader.readInTurns('product:long', after, at), reader, rows, after, at);
    expect(await reader.readInTurns('product:none', 0, 10)).toEqual([]);
  });
});
