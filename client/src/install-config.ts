// nebula resolves relative paths against its working directory, not the
// config file, so the installed nebula.yml names its files by absolute path.
import { join } from 'node:path';
import YAML from 'yaml';
import { BUNDLE_FILES } from './files.ts';

const PKI_FILES = { ca: BUNDLE_FILES.ca, cert: BUNDLE_FILES.certificate, key: BUNDLE_FILES.privateKey } as const;

export function localizeConfig(configYaml: string, dir: string): string {
  const doc = YAML.parseDocument(configYaml);
  for (const [field, file] of Object.entries(PKI_FILES)) {
    const value = doc.getIn(['pki', field]);
    // Inline PEM stays inline; a file reference points into the project's directory.
    if (typeof value === 'string' && value.includes('-----BEGIN')) continue;
    doc.setIn(['pki', field], join(dir, file));
  }
  return doc.toString();
}
