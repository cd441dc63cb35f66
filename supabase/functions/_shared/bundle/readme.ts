// The README.md inside a device bundle: what the files are and how to start
// nebula. User-controlled strings (device and project names) go only into
// code spans built by `inlineCode`, so no name can add headings, links, HTML
// or lines to the document.

export interface BundleReadmeInput {
  deviceName: string;
  projectName?: string;
  projectId: string;
  /** The device's overlay IP and the project's subnet, e.g. '10.99.3.7' and '10.99.3.0/24'. */
  ip: string;
  cidr: string;
  /** When node.crt expires. */
  notAfter: Date;
  tunDev: string;
  /** Where nebula.yml expects the device's private key (it is not in the bundle). */
  keyPath: string;
  isLighthouse: boolean;
  /** The UDP port a lighthouse listens on. */
  listenPort: number;
}

/**
 * Markdown code span holding `text` literally (CommonMark 6.1): the fence is
 * one backtick longer than any run inside, padded when the text touches a
 * backtick. Line breaks and other controls (refused at the edge anyway)
 * become U+FFFD, since a code span cannot hold a block boundary.
 */
export function inlineCode(text: string): string {
  const flat = text.replace(/[\p{Cc}\u2028\u2029]/gu, '\uFFFD');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

export function buildBundleReadme(input: BundleReadmeInput): string {
  const project = input.projectName === undefined ? inlineCode(input.projectId) : `${inlineCode(input.projectName)} (${inlineCode(input.projectId)})`;
  const role = input.isLighthouse
    ? `This device is a **lighthouse and relay**: it must be reachable from the internet on UDP port ${input.listenPort}.`
    : 'This device picks a random UDP port and reaches the others through the project\'s lighthouses.';
  return [
    '# VidSync Nebula bundle',
    '',
    `- Device: ${inlineCode(input.deviceName)}`,
    `- Project: ${project}`,
    `- Overlay IP: ${inlineCode(input.ip)} in ${inlineCode(input.cidr)}`,
    `- Certificate valid until: ${inlineCode(input.notAfter.toISOString())}`,
    `- Network interface: ${inlineCode(input.tunDev)}`,
    '',
    role,
    '',
    '## Files',
    '',
    '- `ca.crt`: the project\'s certificate authority; nebula trusts peers it signed, and only those.',
    '- `node.crt`: this device\'s certificate (name, overlay IP, public key).',
    '- `nebula.yml`: the nebula configuration.',
    `- ${inlineCode(input.keyPath)}: **not included** in the bundle: this device's private key never leaves it. The VidSync app and \`vidsync device register\` write it here when they install the bundle; by hand, put the key you generated next to these files under that name.`,
    '',
    '## Run',
    '',
    'As unpacked, nebula.yml names the files relative to nebula\'s working directory, so start it from this directory (it needs root to create the network interface); the VidSync SDK writes their absolute paths when it installs the bundle, and nebula then starts from anywhere:',
    '',
    '```sh',
    `cd /path/to/this/bundle`,
    'sudo nebula -config nebula.yml',
    '```',
    '',
    'Check the configuration without starting: `nebula -test -config nebula.yml`. Inspect the certificate: `nebula-cert print -path node.crt`.',
    '',
    'The certificate is short-lived: fetch a fresh bundle before it expires, replace `node.crt` and send nebula `SIGHUP` (or restart it).',
    '',
  ].join('\n');
}
