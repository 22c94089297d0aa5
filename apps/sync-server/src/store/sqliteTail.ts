/**
 * A document's log tail read from SQLite in one row instead of one row per entry.
 *
 * better-sqlite3 copies every BLOB it returns into a Buffer of its own. For a long log of small
 * Yjs updates that copy is most of the read (about 2 µs per entry, and as many backing stores for
 * the garbage collector to sweep): a never-compacted 100,000-entry log took ~300 ms of main
 * thread, against ~40 ms for SQLite to walk it.
 *
 * Here SQLite concatenates the updates and lists their seqs and lengths. The three aggregates
 * take their rows in the same steps, so the lists are in the same order, and the one buffer
 * returned is cut into views. `group_concat` reads a BLOB's bytes as they are (the database is
 * UTF-8, so nothing is converted) and the CAST keeps them.
 *
 * The rows come from a subquery in seq order, which SQLite does not promise to keep through an
 * aggregate, so the seqs are checked: they must run upwards without a gap, and the lengths must
 * add up to the bytes. Otherwise the tail is read row by row, as it also is when it is too big
 * for one value. An ORDER BY inside the aggregates would promise the order at the price of two
 * sorts: twice the time for a long tail, and a sorter for every short one.
 */
import type Database from 'better-sqlite3';
import { nextTurn } from '../yielder.js';

export interface TailEntry {
  readonly seq: number;
  readonly update: Uint8Array;
}

interface TailRow {
  n: number;
  seqs: string | null;
  lens: string | null;
  bytes: Buffer | null;
}

const CONCATENATED = `
  SELECT count(*) AS n, group_concat(seq, ',') AS seqs, group_concat(length(u), ',') AS lens,
    CAST(group_concat(u, '') AS BLOB) AS bytes
  FROM (SELECT seq, "update" AS u FROM log WHERE doc = ? AND seq > ? AND seq <= ? ORDER BY seq)`;

/** Seqs read at once by `readInTurns`. */
const RANGE = 20_000;

const ROW_BY_ROW =
  'SELECT seq, "update" FROM log WHERE doc = ? AND seq > ? AND seq <= ? ORDER BY seq';

export class SqliteTailReader {
  private readonly concatenated;
  private readonly rowByRow;
  private readonly lastSeq;

  constructor(db: Database.Database) {
    this.lastSeq = db
      .prepare<[string], number | null>('SELECT max(seq) FROM log WHERE doc = ?')
      .pluck(true);
    this.concatenated = db.prepare<[string, number, number], TailRow>(CONCATENATED);
    this.rowByRow = db.prepare<[string, number, number], [number, Buffer]>(ROW_BY_ROW).raw(true);
  }

  /**
   * The entries with `afterSeq < seq <= atSeq`, read RANGE seqs at a time with a turn between
   * reads: a log never compacted may hold 100,000 entries, ~100 ms of reading (SPEC LIM6).
   * Entries appended meanwhile are not part of it: it ends at the last seq there was at first.
   */
  async readInTurns(doc: string, afterSeq: number, atSeq: number): Promise<TailEntry[]> {
    const end = Math.min(atSeq, this.lastSeq.get(doc) ?? 0);
    let entries: TailEntry[] = [];
    for (let from = afterSeq; from < end; from += RANGE) {
      if (from > afterSeq) await nextTurn();
      entries = entries.concat(this.read(doc, from, Math.min(from + RANGE, end)));
    }
    return entries;
  }

  /** The entries with `afterSeq < seq <= atSeq`, in seq order. */
  read(doc: string, afterSeq: number, atSeq: number): TailEntry[] {
    let row: TailRow | undefined;
    try {
      row = this.concatenated.get(doc, afterSeq, atSeq);
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_TOOBIG') throw error;
    }
    if (row?.n === 0) return [];
    const cut = row ? cutTail(row) : undefined;
    return cut ?? this.readRowByRow(doc, afterSeq, atSeq);
  }

  readRowByRow(doc: string, afterSeq: number, atSeq: number): TailEntry[] {
    return this.rowByRow.all(doc, afterSeq, atSeq).map(([seq, update]) => ({
      seq,
      update: new Uint8Array(update.buffer, update.byteOffset, update.byteLength),
    }));
  }
}

/** The concatenation cut into entries, or undefined if it is not what it should be. */
function cutTail({ n, seqs, lens, bytes }: TailRow): TailEntry[] | undefined {
  if (seqs === null || lens === null || bytes === null) return undefined;
  const seqList = seqs.split(',');
  const lengths = lens.split(',');
  if (seqList.length !== n || lengths.length !== n) return undefined;
  const first = Number(seqList[0]);
  const entries: TailEntry[] = new Array<TailEntry>(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const length = Number(lengths[i]);
    if (Number(seqList[i]) !== first + i) return undefined;
    if (!Number.isInteger(length) || length < 0 || offset + length > bytes.byteLength)
      return undefined;
    entries[i] = {
      seq: first + i,
      update: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length),
    };
    offset += length;
  }
  return offset === bytes.byteLength ? entries : undefined;
}
