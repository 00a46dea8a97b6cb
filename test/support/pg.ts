// One query on its own connection (no pool to close): for test and bench set-up, where
// a statement or two run now and then. Free of vitest, so bench/ can import it too.
import pg from 'pg';

export async function queryOnce<T extends pg.QueryResultRow = any>(databaseUrl: string, sql: string, params?: unknown[]): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await client.query<T>(sql, params as any[]);
  } finally {
    await client.end();
  }
}
