import pgPromise, { type QueryFile } from 'pg-promise';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');
const cache = new Map<string, QueryFile>();

/** The prepared QueryFile for sql/<name>.sql, read and minified once. */
export function sql(name: string): QueryFile {
  let file = cache.get(name);
  if (!file) {
    file = new pgPromise.QueryFile(path.join(DIR, `${name}.sql`), { minify: true, noWarnings: true });
    if (file.error) throw file.error;
    cache.set(name, file);
  }
  return file;
}
