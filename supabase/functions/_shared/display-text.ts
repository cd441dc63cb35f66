// Display text: what a stored name (a device's, a project's) or a release
// reason may hold. These strings end up in certificate names, nebula.yml
// comments, README lines, dashboards and terminals, so they may not carry
// characters that change how text is laid out or hide what it says:
// controls, line breaks, bidirectional overrides (U+202E makes "gpj.exe"
// display as "exe.jpg"), zero-width and other invisible characters.
//
// Written once here; the database holds the same rule
// (vidsync.is_display_text, vidsync.has_forbidden_text_chars), and
// tests/db/limits.test.ts runs every Unicode code point and a corpus of
// names through both.

/**
 * Code points no display text may contain, as inclusive ranges: Unicode 17's
 * general categories Cc (controls), Cf (format: bidi controls, zero-width
 * space and joiners, soft hyphen, BOM, tags…), Zl and Zp (line and paragraph
 * separators), every other Default_Ignorable_Code_Point (variation
 * selectors, Hangul fillers, …), and the surrogates (a lone one is not text).
 * A fixed list rather than `\p{…}` classes, so that the rule does not change
 * with the JavaScript engine's Unicode version; tests/db/limits.test.ts
 * checks that it equals those properties.
 */
export const FORBIDDEN_TEXT_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x0600, 0x0605],
  [0x061c, 0x061c],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x0890, 0x0891],
  [0x08e2, 0x08e2],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xd800, 0xdfff],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffb],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

/**
 * The spaces a display text is trimmed of and may not consist of alone:
 * Unicode's space separators (Zs). With the forbidden characters above, this
 * is exactly what JavaScript's `trim()` removes.
 */
export const DISPLAY_TEXT_SPACES = ' \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000';

const hex = (n: number) => n.toString(16);
const FORBIDDEN = new RegExp(`[${FORBIDDEN_TEXT_RANGES.map(([a, b]) => `\\u{${hex(a)}}-\\u{${hex(b)}}`).join('')}]`, 'u');
const SPACE_CLASS = `[${[...DISPLAY_TEXT_SPACES].map((c) => `\\u{${hex(c.codePointAt(0)!)}}`).join('')}]`;
const LEADING_OR_TRAILING_SPACES = new RegExp(`^${SPACE_CLASS}+|${SPACE_CLASS}+$`, 'gu');

/** True when `s` holds a character no display text may hold (or a lone surrogate). */
export function hasForbiddenTextChars(s: string): boolean {
  return FORBIDDEN.test(s);
}

/** `s` without leading and trailing spaces (DISPLAY_TEXT_SPACES): the form that is stored. */
export function trimDisplayText(s: string): string {
  return s.replace(LEADING_OR_TRAILING_SPACES, '');
}

/** Length in code points, as Postgres's length() counts (not UTF-16 units). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The whole rule: no forbidden character, at most `maxChars` code points, not only spaces. */
export function isDisplayText(s: string, maxChars: number): boolean {
  return typeof s === 'string' && !hasForbiddenTextChars(s) && codePointLength(s) <= maxChars && trimDisplayText(s).length > 0;
}
