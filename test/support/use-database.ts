// A fresh database for the tests of one describe block: created before them, dropped after.
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** Registers the set-up and tear-down in the enclosing block; call the result to reach the database. */
export function useTestDatabase(prefix: string): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(prefix);
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error(`the test database "${prefix}" is not created yet (or its creation failed)`);
    return db;
  };
}
