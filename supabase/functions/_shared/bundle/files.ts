// The names of a device's Nebula files, said once for the bundle builder, the
// nebula.yml it writes, the SDK that installs it and the test harnesses.
// nebula.yml refers to the certificate files and the key by these names.

/** The files of a bundle, in the order they are zipped. */
export const BUNDLE_FILES = {
  ca: 'ca.crt',
  certificate: 'node.crt',
  config: 'nebula.yml',
  readme: 'README.md',
} as const;

/** The device's X25519 private key: made on the device, never in a bundle. */
export const PRIVATE_KEY_FILE = 'host.key';
