// Secrets at rest: CA private keys sealed under the function's master keys.
export { generateMasterKey, importMasterKey, importMasterKeys, masterKeyId, openCaKey, sealCaKey, sealedKeyId } from './ca-key-box.ts';
export type { MasterKey, MasterKeyring } from './ca-key-box.ts';
