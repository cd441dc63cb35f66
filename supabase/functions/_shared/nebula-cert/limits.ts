// Size limits for everything we parse or sign. Nebula itself has none; ours
// exist so that hostile input cannot make a function allocate or loop without
// bound. Each is far above what a real certificate needs.

/** A PEM file: a CA bundle of a few dozen certificates (~450 bytes each) fits easily. */
export const MAX_PEM_BYTES = 64 * 1024;
/** One marshalled certificate. A host cert is ~200-400 bytes. */
export const MAX_CERT_BYTES = 8 * 1024;
/** CA certificates in one pool/bundle: CA rotation needs two or three. */
export const MAX_CAS_IN_BUNDLE = 32;
/** Certificate name in UTF-8 bytes: hostnames are at most 253. */
export const MAX_NAME_BYTES = 512;
/** Groups per certificate: firewall rules name a handful. */
export const MAX_GROUPS = 64;
/** One group name in UTF-8 bytes. */
export const MAX_GROUP_BYTES = 256;
/** IP assignments and unsafe subnets, each, per certificate. */
export const MAX_NETWORKS = 64;
/** Blocklist entries accepted by verify (a distributed blocklist may grow). */
export const MAX_BLOCKLIST = 100_000;
