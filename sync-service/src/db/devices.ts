import type { IBaseProtocol } from 'pg-promise';
import type { DeviceCertificate, DeviceRevocation } from '../../../protocol/src/types.ts';
import { sql } from './sql/index.ts';

/** device_certificates and device_revocations: append-only (DEV2, DEV8). */
export class DevicesRepository {
  constructor(private readonly db: IBaseProtocol<unknown>) {}

  /** Stores a certificate (idempotent); the one stored for that device and key, which may differ. */
  async addCertificate(userPk: number, cert: DeviceCertificate, sessionId: string | null): Promise<DeviceCertificate> {
    const row = await this.db.one<{ certificate: DeviceCertificate }>(sql.devices.insertCertificate, {
      userPk, deviceId: cert.deviceId, accountFingerprint: cert.accountFingerprint, certificate: JSON.stringify(cert), sessionId,
    });
    return row.certificate;
  }

  async certificates(userPk: number): Promise<DeviceCertificate[]> {
    return (await this.db.any<{ certificate: DeviceCertificate }>(sql.devices.certificates, { userPk })).map((r) => r.certificate);
  }

  /** Stores a revocation (final, idempotent); the one stored for that device, which may differ. */
  async addRevocation(userPk: number, rev: DeviceRevocation): Promise<DeviceRevocation> {
    const row = await this.db.one<{ revocation: DeviceRevocation }>(sql.devices.insertRevocation, {
      userPk, deviceId: rev.deviceId, revocation: JSON.stringify(rev),
    });
    return row.revocation;
  }

  async revocations(userPk: number): Promise<DeviceRevocation[]> {
    return (await this.db.any<{ revocation: DeviceRevocation }>(sql.devices.revocations, { userPk })).map((r) => r.revocation);
  }

  async isRevoked(userPk: number, deviceId: string): Promise<boolean> {
    return (await this.db.oneOrNone(sql.devices.isRevoked, { userPk, deviceId })) !== null;
  }

  /** Ends the sessions that registered this device's certificates; the ids ended. */
  async revokeSessions(userPk: number, deviceId: string): Promise<string[]> {
    return (await this.db.any<{ id: string }>(sql.devices.revokeSessions, { userPk, deviceId })).map((r) => r.id);
  }
}
