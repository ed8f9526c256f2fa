import { decodeHTML } from 'entities';
import { defaultCleanOptions, type CleanOptions } from './config.ts';
import { repairMojibake } from './mojibake.ts';

/*
 * Tweet cleaning, one pure function per step. `cleanTweet` applies them in a fixed order:
 * mojibake (works on the raw chars) → HTML entities (may create '<', '&' that later steps see)
 * → URLs → mentions → hashtags → special characters → case → whitespace.
 */

export { repairMojibake } from './mojibake.ts';

/** "&amp;" -> "&", "&lt;" -> "<", numeric references too (HTML5 rules, via `entities`). */
export function decodeHtmlEntities(text: string): string {
  return text.includes('&') ? decodeHTML(text) : text;
}

// A link runs over URL characters only, so a quote or mojibake glued to its end is not eaten;
// quotes and brackets are excluded because tweets wrap links in them: "(http://t.co/x)".
const URL_RE = /(?:https?:\/\/|www\.)[A-Za-z0-9\-._~:/?#@!$&*+,;=%]*/gi;
const URL_TRAILING = /[.,:;!?]+$/;

/** Remove (or replace by `token`) http(s):// and www. links, keeping sentence punctuation after them. */
export function replaceUrls(text: string, token = ''): string {
  return text.replace(URL_RE, (m) => {
    const tail = URL_TRAILING.exec(m)?.[0] ?? '';
    return token ? ` ${token} ${tail}` : ` ${tail}`;
  });
}

// Twitter handles are [A-Za-z0-9_]{1,15}; the lookbehind keeps e-mail addresses intact.
const MENTION_RE = /(?<![\p{L}\p{N}_])@[A-Za-z0-9_]+:?/gu;

/** Remove (or replace by `token`) @handles, with the ':' of "RT @handle:". */
export function replaceMentions(text: string, token = ''): string {
  return text.replace(MENTION_RE, token ? ` ${token} ` : ' ');
}

/** '#wildfires' -> 'wildfires' ('strip-symbol') or '' ('remove'). */
export function replaceHashtags(text: string, mode: CleanOptions['hashtags']): string {
  if (mode === 'keep') return text;
  if (mode === 'strip-symbol') return text.replace(/#(?=[\p{L}\p{N}_])/gu, '');
  return text.replace(/#[\p{L}\p{N}_]+/gu, ' ');
}

const TYPOGRAPHIC: Array<[RegExp, string]> = [
  [/[\u2018\u2019\u201a\u201b\u2032\u00b4`]/g, "'"],
  [/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/\u2026/g, '...'],
];

/** Typographic quotes, dashes and the ellipsis to their ASCII forms. */
export function asciiPunctuation(text: string): string {
  let t = text;
  for (const [re, s] of TYPOGRAPHIC) t = t.replace(re, s);
  return t;
}

const NOT_BASIC = /[^\p{L}\p{M}\p{N}\p{Sc}\s.,!?'"\-:;()&/%+=*#@]/gu;
const NOT_ALNUM = /[^\p{L}\p{M}\p{N}\s]/gu;

/**
 * 'basic': ASCII punctuation, then every char that is not a letter, digit, currency sign,
 * whitespace or common punctuation becomes a space. 'alnum': apostrophes vanish ("I'm" -> "Im"),
 * every other non-letter/digit becomes a space.
 */
export function removeSpecialChars(text: string, mode: CleanOptions['specialChars']): string {
  if (mode === 'keep') return text;
  const t = asciiPunctuation(text);
  if (mode === 'basic') return t.replace(NOT_BASIC, ' ');
  return t.replace(/'/g, '').replace(NOT_ALNUM, ' ');
}

/** Runs of whitespace (including newlines and no-break spaces) to one space, trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** Kaggle keywords are URL-encoded ("airplane%20accident"); malformed escapes stay as they are. */
export function urlDecodeKeyword(keyword: string): string {
  if (!keyword.includes('%')) return keyword;
  try {
    return decodeURIComponent(keyword);
  } catch {
    return keyword.replace(/%[0-9A-Fa-f]{2}/g, (m) => {
      const c = parseInt(m.slice(1), 16);
      return c < 0x80 ? String.fromCharCode(c) : m;
    });
  }
}

/** Apply every enabled step to one raw tweet. Not idempotent when `repairMojibake` is on: feed it raw text. */
export function cleanTweet(text: string, options: Partial<CleanOptions> = {}): string {
  const o = { ...defaultCleanOptions, ...options };
  let t = text;
  if (o.repairMojibake) t = repairMojibake(t, { guessEllipsis: o.guessEllipsis });
  if (o.decodeHtmlEntities) t = decodeHtmlEntities(t);
  if (o.urls !== 'keep') t = replaceUrls(t, o.urls === 'token' ? o.urlToken : '');
  if (o.mentions !== 'keep') t = replaceMentions(t, o.mentions === 'token' ? o.mentionToken : '');
  t = replaceHashtags(t, o.hashtags);
  t = removeSpecialChars(t, o.specialChars);
  if (o.lowercase) t = t.toLowerCase();
  if (o.collapseWhitespace) t = collapseWhitespace(t);
  return t;
}

/** The light cleaning a free-text location gets: encoding repairs and whitespace only. */
export function cleanLocation(location: string, options: Partial<CleanOptions> = {}): string {
  const o = { ...defaultCleanOptions, ...options };
  let t = location;
  if (o.repairMojibake) t = repairMojibake(t, { guessEllipsis: o.guessEllipsis });
  if (o.decodeHtmlEntities) t = decodeHtmlEntities(t);
  return o.collapseWhitespace ? collapseWhitespace(t) : t;
}
