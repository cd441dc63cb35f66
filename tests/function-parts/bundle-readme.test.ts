import { describe, expect, it } from 'vitest';
import { buildBundleReadme, inlineCode } from '../../supabase/functions/_shared/bundle/readme.ts';
import type { BundleReadmeInput } from '../../supabase/functions/_shared/bundle/readme.ts';

const base: BundleReadmeInput = {
  deviceName: 'laptop',
  projectName: 'Film',
  projectId: '3f2c1a9e-1111-4222-8333-abcdefabcdef',
  ip: '10.99.3.7',
  cidr: '10.99.3.0/24',
  notAfter: new Date('2026-12-01T00:00:00Z'),
  tunDev: 'vsabcdefabcdef',
  keyPath: 'host.key',
  isLighthouse: false,
  listenPort: 0,
};

/**
 * The Markdown skeleton: each line with its code spans replaced by `<code>`,
 * found by CommonMark's rule (a backtick run opens a span closed by the next
 * run of the same length; an unmatched run is literal text).
 */
function skeleton(markdown: string): string[] {
  return markdown.split('\n').map((line) => {
    let out = '';
    let i = 0;
    while (i < line.length) {
      if (line[i] !== '`') {
        out += line[i++];
        continue;
      }
      const open = /^`+/.exec(line.slice(i))![0];
      let j = i + open.length;
      let close = -1;
      while (j < line.length) {
        const run = /^`+/.exec(line.slice(j));
        if (!run) {
          j++;
          continue;
        }
        if (run[0].length === open.length) {
          close = j;
          break;
        }
        j += run[0].length;
      }
      if (close < 0) {
        out += open;
        i += open.length;
      } else {
        out += '<code>';
        i = close + open.length;
      }
    }
    return out;
  });
}

/** Reads a CommonMark code span back (fence length + optional one-space padding). */
function codeSpanContent(span: string): string {
  const fence = /^`+/.exec(span)![0];
  let inner = span.slice(fence.length, span.length - fence.length);
  if (inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') inner = inner.slice(1, -1);
  return inner;
}

describe('buildBundleReadme', () => {
  it('says how to run nebula, where the key goes and what the IP is', () => {
    const md = buildBundleReadme(base);
    expect(md).toContain('sudo nebula -config nebula.yml');
    expect(md).toContain('`host.key`');
    expect(md).toContain('`10.99.3.7`');
    expect(md).toMatch(/not included/);
    // Also true of the directory the SDK installs it in, with the key beside it and absolute paths in nebula.yml.
    expect(md).toMatch(/write it here when they install the bundle/);
    expect(md).toMatch(/absolute paths when it installs the bundle/);
  });

  it('tells a lighthouse which UDP port to open', () => {
    expect(buildBundleReadme({ ...base, isLighthouse: true, listenPort: 4243 })).toContain('UDP port 4243');
  });

  const hostileNames = [
    'evil\n# Heading\n[link](http://evil.example)',
    '`code` ``more`` ```fence```',
    '`',
    '``x``',
    ' leading and trailing ',
    '<script>alert(1)</script>',
    '| table | row |',
    '*bold* _em_ ~~strike~~ \\',
    '\u2028line separator\u2029',
    '$(reboot); rm -rf ~',
  ];

  it.each(hostileNames)('keeps the document structure for the device name %j', (name) => {
    const md = buildBundleReadme({ ...base, deviceName: name, projectName: name });
    expect(md.split('\n')).toHaveLength(buildBundleReadme(base).split('\n').length);
    expect(skeleton(md)).toEqual(skeleton(buildBundleReadme(base)));
  });
});

describe('inlineCode', () => {
  it.each(['plain', '`', 'a`b', '``', 'x ``` y', '`start', 'end`', ' both ', '<b>'])('round-trips %j', (s) => {
    const span = inlineCode(s);
    expect(codeSpanContent(span)).toBe(s);
    // The fence is longer than any backtick run inside.
    const fence = /^`+/.exec(span)![0].length;
    expect(Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length))).toBeLessThan(fence);
  });

  it('flattens line breaks so the span stays on one line', () => {
    expect(inlineCode('a\nb\r\u2028c')).toBe('`a\uFFFDb\uFFFD\uFFFDc`');
  });
});
