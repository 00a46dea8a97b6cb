import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SQL_ROOT, SqlFileError, loadSql, sql } from '../src/db/sql/index.ts';

describe('SQL files, loaded at start (sync-service/src/db/sql/<repository>/<name>.sql)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function copy(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'mh-sql-'));
    dirs.push(dir);
    cpSync(SQL_ROOT, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    return dir;
  }

  it('every repository file loads into the typed object', () => {
    expect(Object.keys(sql).sort()).toEqual(['accountChallenges', 'blobs', 'blocks', 'challenges', 'conversations', 'deviceLinks', 'devices', 'epochArchive', 'health', 'keyResets', 'keys', 'log', 'pushSubscriptions', 'rateLimits', 'sessions', 'users']);
    expect(sql.log.appendMessages.error).toBeUndefined();
    expect(loadSql(copy()).users.findByPk.error).toBeUndefined();
  });

  it('a broken file fails the load, naming the file', () => {
    const dir = copy();
    const file = path.join(dir, 'log', 'page.sql');
    writeFileSync(file, "SELECT 'an unclosed text block FROM log_entries\n");
    expect(() => loadSql(dir)).toThrow(SqlFileError);
    expect(() => loadSql(dir)).toThrow(file);
  });

  it('a missing file fails the load, naming the file', () => {
    const dir = copy();
    const file = path.join(dir, 'sessions', 'touch.sql');
    unlinkSync(file);
    expect(() => loadSql(dir)).toThrow(file);
  });

  it('a file no repository names fails the load (a renamed or forgotten statement)', () => {
    const dir = copy();
    const file = path.join(dir, 'users', 'find-by-name.sql');
    writeFileSync(file, 'SELECT 1\n');
    expect(() => loadSql(dir)).toThrow(file);
  });
});
