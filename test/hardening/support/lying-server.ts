// A sync service that lies: the real service (in process, through server.inject) behind a
// fetch that lets a test rewrite any answer before the client sees it, plus direct SQL on
// the service's database as the superuser. This is the attacker of THREATS.md: it can
// rewrite every answer and every row, but holds no client's private keys.
import type { Server } from '@hapi/hapi';
import type { TestDatabase } from '../../support/database.ts';

export type Lie = (req: { method: string; path: string; body: any }, res: { status: number; json: any }) => { status: number; json: any } | void;

export interface Traffic { method: string; path: string; body: any; status: number }

/** A fetch for one client: every request goes to `server`, every answer through `lies`. */
export function lyingFetch(server: Server, lies: Lie[], traffic: Traffic[] = [], base = 'http://localhost:0'): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), base);
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    const payload = typeof init?.body === 'string' ? init.body : undefined;
    const res = await server.inject({ method, url: url.pathname + url.search, headers, payload });
    let status = res.statusCode;
    let json: any = res.payload ? JSON.parse(res.payload) : null;
    const body = payload ? JSON.parse(payload) : undefined;
    for (const lie of lies) {
      const out = lie({ method, path: url.pathname, body }, { status, json });
      if (out) ({ status, json } = out);
    }
    traffic.push({ method, path: url.pathname, body, status });
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

/** Rewrite the entries of POST /api/v1/sync answers (what a pull receives). */
export function onSync(rewrite: (entries: any[]) => any[] | void): Lie {
  return (req, res) => {
    if (req.method !== 'POST' || req.path !== '/api/v1/sync' || res.status !== 200) return;
    const entries = rewrite(res.json.entries);
    if (entries) return { status: 200, json: { ...res.json, entries } };
  };
}

/** The database as its superuser sees it. */
export class Dba {
  constructor(readonly db: TestDatabase) {}

  /** Append an entry the service never accepted: the next seq, any kind, any body, any author. */
  async append(conversationId: string, kind: 'epoch' | 'message', body: unknown, senderUserId: string): Promise<number> {
    const r = await this.db.query<{ seq: number }>(
      `WITH c AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO log_entries (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256)
       SELECT $1, c.last_seq, $2, 'forged:' || gen_random_uuid(), (SELECT id FROM users WHERE user_id = $3), $4, $5::jsonb, '\\x00'::bytea FROM c
       RETURNING seq::int`,
      [conversationId, kind, senderUserId, typeof (body as any)?.epoch === 'number' ? (body as any).epoch : 0, JSON.stringify(body)],
    );
    return r.rows[0]!.seq;
  }

  /** Rewrite a stored entry in place (the append-only trigger is switched off for the edit). */
  async edit(conversationId: string, seq: number, change: (body: any) => any): Promise<void> {
    const { rows } = await this.db.query<{ body: any }>('SELECT body FROM log_entries WHERE conversation_id = $1 AND seq = $2', [conversationId, seq]);
    const body = change(rows[0]!.body);
    await this.db.query(`ALTER TABLE log_entries DISABLE TRIGGER USER;
      UPDATE log_entries SET body = ${literal(JSON.stringify(body))}::jsonb WHERE conversation_id = ${literal(conversationId)} AND seq = ${Number(seq)};
      ALTER TABLE log_entries ENABLE TRIGGER USER;`);
  }

  async body(conversationId: string, seq: number): Promise<any> {
    return (await this.db.query('SELECT body FROM log_entries WHERE conversation_id = $1 AND seq = $2', [conversationId, seq])).rows[0]?.body;
  }

  async lastSeq(conversationId: string): Promise<number> {
    return (await this.db.query('SELECT last_seq::int AS n FROM conversations WHERE id = $1', [conversationId])).rows[0]!.n;
  }

  /** Serve another public identity as a user's current key (a key version the user never made). */
  async swapKey(userId: string, identity: unknown, proof: string): Promise<void> {
    await this.db.query(
      `INSERT INTO user_keys (user_id, version, public_identity, proof)
       SELECT u.id, (SELECT max(version) + 1 FROM user_keys k WHERE k.user_id = u.id), $2::jsonb, $3 FROM users u WHERE u.user_id = $1`,
      [userId, JSON.stringify(identity), proof],
    );
  }
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
