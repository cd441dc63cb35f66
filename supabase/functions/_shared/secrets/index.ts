// Secrets at rest: CA private keys sealed under the function's master key.
export { generateMasterKey, importMasterKey, openCaKey, sealCaKey } from './ca-key-box.ts';
