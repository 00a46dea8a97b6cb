// The session: proving who we are to the service and keeping the token. Login signs the
// challenge over OUR origin, never one the server names (THREATS T1); a re-login with the
// device's keys replaces an expired or missing token, one at a time. Usable in Node:
// everything it needs (database, API client, origin) is handed in.
import { fingerprint, signDeviceLoginProof, signLoginProof, signRevokeSession, type DeviceSigner, type Identity } from '../../../protocol/src/index.ts';
import { clearSession, loadIdentity, loadSession, saveIdentity, saveSession } from '../stores/account.ts';
import type { Db, IdentityRow, SessionRow } from '../stores/db.ts';
import type { Api, SessionInfo } from './api.ts';
import { AppError } from './warnings.ts';

export const DEVICE_NAME = 'MessageHub on the web';

export class Session {
  /** The signed-in session, or null before the first login. */
  current: SessionRow | null = null;
  /** The device's identity once known (created, restored or loaded). */
  identity: Identity | null = null;
  private readonly api: Api;
  private readonly db: () => Db;
  private readonly origin: string;
  private readonly deviceName: string;
  private relogging: Promise<void> | null = null;
  /**
   * This device's signer once its services are wired (DEV12): a login then names the
   * device, so revoking it ends this session and refuses the next login (DEV13).
   */
  deviceSigner: (() => Promise<DeviceSigner | null>) | null = null;

  constructor(p: { api: Api; db: () => Db; origin: string; deviceName?: string }) {
    this.api = p.api;
    this.db = p.db;
    this.origin = p.origin;
    this.deviceName = p.deviceName ?? DEVICE_NAME;
  }

  get token(): string | undefined {
    return this.current?.token;
  }

  /** The identity and session stored on this device, if any. */
  async load(): Promise<IdentityRow | undefined> {
    const row = await loadIdentity(this.db());
    if (!row) return undefined;
    this.identity = { userId: row.userId, public: row.public, encryption: row.encryption, signing: row.signing };
    this.current = (await loadSession(this.db())) ?? null;
    return row;
  }

  async login(identity: Identity): Promise<SessionRow> {
    const signer = await this.deviceSigner?.().catch(() => null) ?? null;
    const ch = await this.api.challenge(identity.userId, this.origin);
    // Sign our own origin, never one the server names (T1).
    const challenge = { nonce: ch.nonce, origin: this.origin };
    const proof = await signLoginProof(identity, challenge);
    // DEV12: the device's own key too, when its certificate is under this identity.
    const device = signer && signer.cert.userId === identity.userId && signer.cert.accountFingerprint === (await fingerprint(identity.public))
      ? { certificate: signer.cert, proof: await signDeviceLoginProof(signer, challenge) }
      : undefined;
    const s = await this.api.login(ch.challengeId, proof, this.deviceName, device);
    const row = { token: s.token, sessionId: s.sessionId, userId: s.userId, expiresAt: s.expiresAt };
    await saveSession(this.db(), row);
    this.current = { ...row, id: 'current' };
    return this.current;
  }

  /** A new login with the device's keys, when the token expired or was never obtained. */
  relogin(): Promise<void> {
    if (!this.identity) return Promise.reject(new Error('signed out'));
    this.relogging ??= this.login(this.identity)
      .then(() => undefined)
      .finally(() => {
        this.relogging = null;
      });
    return this.relogging;
  }

  /** This account's sessions (its devices), the current one first, then by last use. */
  async devices(): Promise<SessionInfo[]> {
    const { sessions } = await this.api.sessions();
    const last = (s: SessionInfo) => Date.parse(s.lastSeenAt ?? s.createdAt) || 0;
    return [...sessions].sort((a, b) => Number(b.current) - Number(a.current) || last(b) - last(a));
  }

  /**
   * Revokes another device's session: a signed change (ACCT3, THREATS L1), the token alone
   * is not enough. The identity key signs a fresh 'revoke-session' challenge for that id.
   */
  async revokeDevice(sessionId: string): Promise<void> {
    if (!this.identity) throw new Error('signed out');
    if (sessionId === this.current?.sessionId) throw new AppError('sign-out-this-device');
    const ch = await this.api.accountChallenge('revoke-session');
    const signature = await signRevokeSession(this.identity, ch.nonce, sessionId);
    await this.api.revokeSession(sessionId, ch.challengeId, signature);
  }

  /** Stores the identity this device now speaks for (after onboarding or restore). */
  async adopt(identity: Identity, displayName: string, keyFileConfirmedAt: number | null, unsavedKeyFile: string | null = null, sealedKeyFile: string | null = null): Promise<IdentityRow> {
    const db = this.db();
    await saveIdentity(db, {
      userId: identity.userId, displayName, public: identity.public, encryption: identity.encryption, signing: identity.signing,
      fingerprint: await fingerprint(identity.public), createdAt: Date.now(), keyFileConfirmedAt,
      unsavedKeyFile: keyFileConfirmedAt === null ? unsavedKeyFile : null,
      sealedKeyFile,
    });
    this.identity = identity;
    return (await loadIdentity(db))!;
  }

  /** Ends the session at the service (best effort: offline, the token is deleted locally anyway). */
  async logout(db: Db | null): Promise<void> {
    try {
      if (this.current) await this.api.logout();
    } catch {
      // offline: the token is deleted locally anyway
    }
    if (db) await clearSession(db).catch(() => undefined);
    this.current = null;
  }
}
