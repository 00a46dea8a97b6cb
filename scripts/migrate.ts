// `npm run db:migrate`: migrate DATABASE_URL, or the embedded database when it is unset.
import { migrate } from '../db/migrate.ts';
import { openDatabase } from './database.ts';

const db = await openDatabase();
try {
  const result = await migrate(db.url);
  console.log(
    result.applied.length
      ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}; schema version ${result.version}`
      : `database is up to date at schema version ${result.version}`,
  );
} finally {
  await db.stop();
}
