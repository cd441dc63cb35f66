// The bounds on what callers may store, written once (the characters a name
// may hold are in display-text.ts). The request schemas
// (http/schemas.ts) check them at the edge; the migrations hold the same
// numbers in the tables' named constraints and in the checks of the callable
// SQL functions, which are reachable without the edge function.
// tests/db/limits.test.ts reads the constraints back from a migrated
// database and compares them with these, so the two layers cannot drift.

/** A device name becomes the certificate's Name and a README line: it must fit a terminal line. */
export const MAX_DEVICE_NAME_CHARS = 64;

/** A project name is shown, never signed; 100 characters fit any list or dashboard row. */
export const MAX_PROJECT_NAME_CHARS = 100;

/** A Nebula X25519 public key PEM is ~100 bytes; 1 KiB bounds it with room for CRLFs. */
export const MAX_PUBLIC_KEY_CHARS = 1024;

/**
 * A CA certificate PEM: nebula-cert's are about 300 characters, and one with
 * a long name, dozens of groups and networks stays below 2 KiB. 4 KiB, so
 * that MAX_TRUSTED_CAS of them fit the SDK's PEM limit with room to spare.
 */
export const MAX_CA_PEM_CHARS = 4 * 1024;

/**
 * CAs a project trusts at once (the signing one and older, unexpired ones).
 * A rotation needs two or three. Every bundle carries them all in ca.crt, and
 * the SDK refuses a bundle of more than 32 CAs or 64 KiB of PEM
 * (MAX_CAS_IN_BUNDLE, MAX_PEM_BYTES in nebula-cert/limits.ts): 8 × 4 KiB
 * stays well below both.
 */
export const MAX_TRUSTED_CAS = 8;

/** A release reason is a short note in the allocation history. */
export const MAX_RELEASE_REASON_CHARS = 200;

/** Lighthouse endpoints per device: a few addresses (IPv4, IPv6, DNS) suffice. */
export const MAX_LIGHTHOUSE_ENDPOINTS = 8;

/** Project subnets: /16 at most (65,534 hosts, one pool row each, populated in well under a second). */
export const MIN_SUBNET_PREFIX = 16;
/** ... and /30 at least (2 hosts). */
export const MAX_SUBNET_PREFIX = 30;

/**
 * Where a project subnet may lie at all: the private IPv4 ranges, RFC 1918
 * (10/8, 172.16/12, 192.168/16) and RFC 6598 (100.64/10, carrier-grade NAT).
 * A member who runs the bundle routes the whole subnet into the overlay, so a
 * public, loopback or multicast range (8.8.8.0/24, 127.0.0.0/24,
 * 224.0.0.0/24) would hijack real traffic. Each deployment narrows this
 * further in SQL (vidsync.settings.allowed_ranges: RFC 6598 is off by
 * default); vidsync.is_private_range holds the same list
 * (tests/db/private-ranges.test.ts compares the two).
 */
export const RFC1918_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;
export const CGNAT_RANGE = '100.64.0.0/10';
export const PRIVATE_IPV4_RANGES = [...RFC1918_RANGES, CGNAT_RANGE] as const;

/**
 * Folders a heartbeat reports sync state for (POST /heartbeat `folders`).
 * A device shares a handful; 32 bounds the stored row (each entry is under
 * 400 bytes, so a device's sync state stays under 16 KiB).
 */
export const MAX_SYNC_FOLDERS = 32;

/** A folder id as Syncthing and the SDK's SyncthingBridge accept it: 1-64 of A-Z a-z 0-9 . _ - (first alphanumeric). */
export const MAX_SYNC_FOLDER_ID_CHARS = 64;

/** A folder's label is display text, shown in `vidsync status` and the dashboard. */
export const MAX_SYNC_FOLDER_LABEL_CHARS = 64;

/** A folder's error, as Syncthing words it, cut to a status line. */
export const MAX_SYNC_FOLDER_ERROR_CHARS = 200;

/** The error count of a folder is capped (the agent sends min(count, this)): a number, not a list. */
export const MAX_SYNC_FOLDER_ERRORS = 1_000_000;
