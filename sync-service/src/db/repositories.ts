import type { IMain } from 'pg-promise';
import { HealthRepository } from './health.ts';

/** Every repository, reachable as `db.<name>` and as `t.<name>` inside a transaction. */
export interface Repositories {
  health: HealthRepository;
}

export function attachRepositories(obj: any, pgp: IMain): void {
  obj.health = new HealthRepository(obj, pgp);
}
