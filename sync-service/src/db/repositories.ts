import type { IMain } from 'pg-promise';
import { AccountChallengesRepository } from './account-challenges.ts';
import { BlobsRepository } from './blobs.ts';
import { BlocksRepository } from './blocks.ts';
import { ChallengesRepository } from './challenges.ts';
import { ConversationsRepository } from './conversations.ts';
import { DeviceLinksRepository } from './device-links.ts';
import { DevicesRepository } from './devices.ts';
import { EpochArchiveRepository } from './epoch-archive.ts';
import { HealthRepository } from './health.ts';
import { KeyResetsRepository } from './key-resets.ts';
import { KeysRepository } from './keys.ts';
import { LogRepository } from './log.ts';
import { PushSubscriptionsRepository } from './push-subscriptions.ts';
import { RateLimitsRepository } from './rate-limits.ts';
import { SessionsRepository } from './sessions.ts';
import { UsersRepository } from './users.ts';

/** Every repository, reachable as `db.<name>` and as `t.<name>` inside a transaction. */
export interface Repositories {
  health: HealthRepository;
  users: UsersRepository;
  sessions: SessionsRepository;
  challenges: ChallengesRepository;
  conversations: ConversationsRepository;
  log: LogRepository;
  rateLimits: RateLimitsRepository;
  keys: KeysRepository;
  accountChallenges: AccountChallengesRepository;
  keyResets: KeyResetsRepository;
  blocks: BlocksRepository;
  devices: DevicesRepository;
  deviceLinks: DeviceLinksRepository;
  blobs: BlobsRepository;
  pushSubscriptions: PushSubscriptionsRepository;
  epochArchive: EpochArchiveRepository;
}

export function attachRepositories(obj: any, pgp: IMain): void {
  obj.health = new HealthRepository(obj, pgp);
  obj.users = new UsersRepository(obj);
  obj.sessions = new SessionsRepository(obj);
  obj.challenges = new ChallengesRepository(obj);
  obj.conversations = new ConversationsRepository(obj);
  obj.log = new LogRepository(obj);
  obj.rateLimits = new RateLimitsRepository(obj);
  obj.keys = new KeysRepository(obj);
  obj.accountChallenges = new AccountChallengesRepository(obj);
  obj.keyResets = new KeyResetsRepository(obj);
  obj.blocks = new BlocksRepository(obj);
  obj.devices = new DevicesRepository(obj);
  obj.deviceLinks = new DeviceLinksRepository(obj);
  obj.blobs = new BlobsRepository(obj);
  obj.pushSubscriptions = new PushSubscriptionsRepository(obj);
  obj.epochArchive = new EpochArchiveRepository(obj);
}
