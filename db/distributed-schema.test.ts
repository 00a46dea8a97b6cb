// The schema against the distributed-Postgres design (DESIGN.md, "Beyond one Postgres"):
// the log can be sharded by conversation id (Citus: distribution column conversation_id,
// conversations.id) only if every table keyed by conversation keeps each conversation on
// one shard. Checked on the migrated schema:
//  - every primary key and unique index of such a table leads with the conversation id
//    (a distributed unique constraint must contain the distribution column; leading with
//    it also keeps every hot query a single-shard index scan);
//  - no such table takes numbers from a sequence or identity (one sequence would be shared
//    by every conversation and every shard; seqs are per conversation, from last_seq).
// A table is "keyed by conversation" when it has a conversation_id column (or is
// conversations itself), so a new one is checked without a list to update.
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/support/use-database.ts';

describe('schema: ready to shard the log by conversation id', () => {
  const db = useTestDatabase('schema');

  /** table -> its conversation id column. */
  async function conversationTables(): Promise<Map<string, string>> {
    const { rows } = await db().query<{ table: string; column: string }>(`
      SELECT c.relname AS table, CASE WHEN c.relname = 'conversations' THEN 'id' ELSE 'conversation_id' END AS column
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND (c.relname = 'conversations' OR EXISTS (
          SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'conversation_id' AND NOT a.attisdropped))
      ORDER BY 1`);
    return new Map(rows.map((r) => [r.table, r.column]));
  }

  it('finds the conversation-keyed tables', async () => {
    expect([...(await conversationTables()).keys()]).toEqual(expect.arrayContaining(['conversation_members', 'conversations', 'log_entries']));
  });

  it('every primary key and unique index of a conversation-keyed table leads with the conversation id', async () => {
    const tables = await conversationTables();
    const { rows } = await db().query<{ table: string; index: string; first: string; definition: string }>(`
      SELECT t.relname AS table, i.relname AS index, a.attname AS first, pg_get_indexdef(x.indexrelid) AS definition
      FROM pg_index x
      JOIN pg_class t ON t.oid = x.indrelid
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
      WHERE n.nspname = 'public' AND (x.indisunique OR x.indisprimary)`);
    const checked = rows.filter((r) => tables.has(r.table));
    expect(checked.length).toBeGreaterThanOrEqual(4);
    const offending = checked.filter((r) => r.first !== tables.get(r.table)).map((r) => r.definition);
    expect(offending).toEqual([]);
  });

  it('no conversation-keyed table draws numbers from a sequence or an identity (seqs are per conversation)', async () => {
    const tables = [...(await conversationTables()).keys()];
    const { rows } = await db().query<{ column: string }>(`
      SELECT c.table_name || '.' || c.column_name AS column
      FROM information_schema.columns c
      WHERE c.table_schema = 'public' AND c.table_name = ANY($1)
        AND (c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES')`, [tables]);
    expect(rows.map((r) => r.column)).toEqual([]);
    // And no sequence belongs to one of them (OWNED BY).
    const { rows: owned } = await db().query<{ seq: string }>(`
      SELECT s.relname AS seq FROM pg_class s
      JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
      WHERE s.relkind = 'S' AND t.relname = ANY($1)`, [tables]);
    expect(owned.map((r) => r.seq)).toEqual([]);
  });

  it('log seqs come from the conversation row, per conversation: two conversations both start at 1', async () => {
    const { rows } = await db().query<{ src: string }>(`SELECT pg_get_functiondef('append_messages'::regproc) AS src`);
    expect(rows[0]!.src).toMatch(/SELECT last_seq, latest_epoch INTO v_last, v_latest FROM conversations WHERE id = v_conv FOR UPDATE/);
    expect(rows[0]!.src).not.toMatch(/nextval/i);
  });
});
