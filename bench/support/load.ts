// Load loops shared by the service and cluster benchmarks: N workers for a time, and the raw
// INSERT ceilings (single-row and 100-row, 16 connections) on a database of the same schema.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const CLIENTS = 16;

/** Run `worker(i)` for 16 workers until `seconds` pass (or its items run out); returns completed count. */
export async function forSeconds(seconds: number, workers: number, step: (worker: number, n: number) => Promise<number | null>): Promise<{ done: number; elapsed: number }> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const k = await step(w, n);
      if (k === null) break;
      done += k;
    }
  }));
  return { done, elapsed: (performance.now() - started) / 1000 };
}

export async function rawCeilings(databaseUrl: string, bodies: string[], seconds: number): Promise<{ single: number; multi: number }> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query('CREATE TABLE IF NOT EXISTS bench_raw (LIKE log_entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
  await admin.query("INSERT INTO users (user_id, display_name) VALUES ('benchraw', 'benchraw') ON CONFLICT DO NOTHING");
  const senderPk = (await admin.query("SELECT id FROM users WHERE user_id = 'benchraw'")).rows[0].id;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    return c;
  }));
  const hash = Buffer.alloc(32, 7);
  let seq = 0;
  try {
    const single = await forSeconds(seconds, CLIENTS, async (w, n) => {
      const s = ++seq;
      await clients[w]!.query(
        "INSERT INTO bench_raw (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256) VALUES ($1, $2, 'message', $3, $4, 0, $5::jsonb, $6)",
        [`raw-${w}`, s, randomUUID(), senderPk, bodies[n % bodies.length], hash],
      );
      return 1;
    });
    const ROWS = 100;
    const multi = await forSeconds(seconds, CLIENTS, async (w, n) => {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let r = 0; r < ROWS; r++) {
        const s = ++seq;
        const k = values.length;
        tuples.push(`($${k + 1}, $${k + 2}, 'message', $${k + 3}, $${k + 4}, 0, $${k + 5}::jsonb, $${k + 6})`);
        values.push(`raw-${w}`, s, randomUUID(), senderPk, bodies[(n * ROWS + r) % bodies.length], hash);
      }
      await clients[w]!.query(`INSERT INTO bench_raw (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256) VALUES ${tuples.join(',')}`, values);
      return ROWS;
    });
    return { single: single.done / single.elapsed, multi: multi.done / multi.elapsed };
  } finally {
    await Promise.all(clients.map((c: pg.Client) => c.end()));
    await admin.query('DROP TABLE bench_raw');
    await admin.end();
  }
}
