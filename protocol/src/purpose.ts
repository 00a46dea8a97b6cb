// PUR1: every signature, AAD, OAEP label and hash input begins with exactly one of
// these strings, so bytes made for one purpose never verify or decrypt as another (T2, M5).
export const PURPOSE = {
  message: 'MessageHub-msg-v1', // Ed25519 signature over an envelope
  messageAad: 'MessageHub-msg-aad-v1', // AES-GCM additional data of an envelope
  messageHash: 'MessageHub-msg-hash-v1', // envelopeHash, the per-sender chain link
  messageV2: 'MessageHub-msg-v2', // Ed25519 signature by a device key over a version 2 envelope (DEV5)
  messageAadV2: 'MessageHub-msg-aad-v2', // AES-GCM additional data of a version 2 envelope (DEV5)
  messageHashV2: 'MessageHub-msg-hash-v2', // envelopeHash of a version 2 envelope, the per-device chain link (DEV6)
  deviceCert: 'MessageHub-device-cert-v1', // the account key certifies a device key (DEV2)
  deviceRevoke: 'MessageHub-device-revoke-v1', // the account key withdraws a device certificate (DEV8)
  deviceConversationTag: 'MessageHub-device-conv-tag-v1', // a conversation named in a revocation (DEV9)
  linkCheck: 'MessageHub-link-check-v1', // the check characters of a link code, binding the new device's key (LINK2)
  linkSalt: 'MessageHub-link-salt-v1', // HKDF salt of the link key: the whole code (LINK3)
  linkKey: 'MessageHub-link-key-v1', // HKDF info of the link key: both ephemeral keys (LINK3)
  linkAad: 'MessageHub-link-aad-v1', // AES-GCM additional data of the sealed handover (LINK3)
  epoch: 'MessageHub-epoch-v1', // Ed25519 signature over an epoch record
  epochHash: 'MessageHub-epoch-hash-v1', // epochHash, the epoch chain link
  epochWrap: 'MessageHub-epoch-wrap-v1', // RSA-OAEP label of a wrapped epoch key
  epochKeyCommit: 'MessageHub-epoch-key-commit-v1', // commitment to the epoch key
  epochArchive: 'MessageHub-epoch-archive-v1', // the account key signs an archived epoch key of its own (HIST2)
  epochArchiveWrap: 'MessageHub-epoch-archive-wrap-v1', // RSA-OAEP label of an archived epoch key (HIST2)
  epochGroup: 'MessageHub-epoch-group-v1', // marks the group fields inside an epoch signature and hash (GRP2)
  groupMeta: 'MessageHub-group-meta-v1', // AES-GCM additional data of a group's encrypted name (GRP3)
  auth: 'MessageHub-auth-v1', // login proof
  deviceLogin: 'MessageHub-device-login-v1', // a device's own key at login, beside the account's proof (DEV12)
  register: 'MessageHub-register-v1', // proof of possession at registration
  rotate: 'MessageHub-rotate-v1', // key rotation, signed by the current key (ACCT2)
  revokeSession: 'MessageHub-revoke-session-v1', // revoking a device session (ACCT3)
  cancelReset: 'MessageHub-cancel-reset-v1', // cancelling a pending key reset (ACCT4)
  keyFile: 'MessageHub-keyfile-v1', // AES-GCM additional data of the key file
  keyFileChecksum: 'MessageHub-keyfile-checksum-v1', // the cheap damage check
  keyFilePayload: 'MessageHub-keyfile-payload-v1', // the encrypted private-key payload
  keyFileSelfTest: 'MessageHub-keyfile-selftest-v1', // proves imported private keys match the public ones
  typing: 'MessageHub-typing-v1', // Ed25519 signature by a device key over a typing signal (TYP2)
  typingAad: 'MessageHub-typing-aad-v1', // AES-GCM additional data of a sealed typing signal (TYP3)
  attachmentChunk: 'MessageHub-attachment-chunk-v1', // AES-GCM additional data of an attachment chunk (ATT2)
  fingerprint: 'MessageHub-fingerprint-v1',
  safetyNumber: 'MessageHub-safety-v1',
  safetyQr: 'MessageHub-safety-qr-v1',
} as const;
