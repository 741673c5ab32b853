/**
 * Rows of one query, batch by batch, through a server-side cursor: one plan and one pass over the
 * table however many rows match (keyset pages would re-sort the matches for every page), and only
 * a batch in memory at a time. `client` must be inside a transaction (a cursor lives in one).
 */
import type pg from 'pg';

export const CURSOR_BATCH_ROWS = 500;

export async function* cursorBatches(
  client: pg.ClientBase,
  sql: string,
  params: unknown[],
  batchRows = CURSOR_BATCH_ROWS,
): AsyncGenerator<Record<string, unknown>[]> {
  await client.query(`DECLARE dlq_scan NO SCROLL CURSOR FOR ${sql}`, params);
  let open = true;
  try {
    for (;;) {
      const { rows } = await client.query(`FETCH ${batchRows} FROM dlq_scan`);
      if (rows.length === 0) break;
      yield rows;
      if (rows.length < batchRows) break;
    }
    await client.query('CLOSE dlq_scan');
    open = false;
  } finally {
    // Stopped early (an archive that failed): the transaction's end closes it in any case.
    if (open) await client.query('CLOSE dlq_scan').catch(() => undefined);
  }
}
