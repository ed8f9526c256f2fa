import { describe, expect, it } from 'vitest';
import {
  asciiPunctuation,
  cleanLocation,
  cleanTweet,
  collapseWhitespace,
  decodeHtmlEntities,
  removeSpecialChars,
  replaceHashtags,
  replaceMentions,
  replaceUrls,
  urlDecodeKeyword,
} from './clean.ts';
import { cleanOptionsSchema, defaultCleanOptions, textConfigSchema } from './config.ts';

// Real rows of Kaggle's train.csv/test.csv; the id is in the comment.
describe('decodeHtmlEntities', () => {
  it('decodes &amp; &lt; &gt;', () => {
    expect(decodeHtmlEntities('ouvindo Peace Love &amp; Armageddon')).toBe('ouvindo Peace Love & Armageddon'); // 450
    expect(decodeHtmlEntities('@myrtlegroggins &lt;gasp!&gt; I forgot Sunday! OMG')).toBe('@myrtlegroggins <gasp!> I forgot Sunday! OMG'); // 7912
    expect(decodeHtmlEntities('Mango juice with crushed ice&gt;&gt;&gt;&gt;??')).toBe('Mango juice with crushed ice>>>>??'); // 2719
  });
  it('decodes once only and leaves a bare ampersand', () => {
    expect(decodeHtmlEntities('&amp;amp; R&D')).toBe('&amp; R&D');
  });
});

describe('replaceUrls', () => {
  it('removes t.co links', () => {
    expect(collapseWhitespace(replaceUrls('Another Mac vuln!\n\nhttps://t.co/OxXRnaB8Un'))).toBe('Another Mac vuln!'); // 6167
    expect(collapseWhitespace(replaceUrls('RT @WIRED: Reddit will now quarantine offensive content http://t.co/zlAGv1U5ZA'))).toBe(
      'RT @WIRED: Reddit will now quarantine offensive content',
    ); // 7823
  });
  it('cuts a link glued to a word and keeps the word', () => {
    expect(replaceUrls('Dozens Die As two Trains Derail Into A River In Indiahttp://www.informationng.com/?p=309943')).toBe(
      'Dozens Die As two Trains Derail Into A River In India ',
    ); // 3446
  });
  it('keeps sentence punctuation and brackets around a link, and can leave a token', () => {
    expect(collapseWhitespace(replaceUrls('(http://t.co/QMS8RRESsd) done.', 'URL'))).toBe('( URL ) done.');
    expect(collapseWhitespace(replaceUrls('see http://t.co/sqgogJ3S5r.'))).toBe('see .');
  });
  it('stops at a repaired quote glued to the link', () => {
    expect(replaceUrls('x http://t.co/zW5jp46v5k\u201d y')).toBe('x  \u201d y');
  });
});

describe('replaceMentions', () => {
  it('removes handles and the colon of a retweet', () => {
    expect(collapseWhitespace(replaceMentions('Has body bagged ** RT @d_lac: Drake is body bagging meek'))).toBe(
      'Has body bagged ** RT Drake is body bagging meek',
    ); // 1466
    expect(collapseWhitespace(replaceMentions('@aphyr I\u2019ve been following you', '@user'))).toBe('@user I\u2019ve been following you'); // 9250
  });
  it('leaves e-mail addresses alone', () => {
    const t = "@TheSewphist whoever holds the address 'fuckface@wineisdumb.com' is going to be deluged in spam meant for me"; // 3229
    expect(collapseWhitespace(replaceMentions(t))).toBe(
      "whoever holds the address 'fuckface@wineisdumb.com' is going to be deluged in spam meant for me",
    );
  });
});

describe('replaceHashtags', () => {
  const t = '#raining #flooding #Florida #TampaBay #Tampa 18 or 19 days.'; // 18
  it('strips the symbol, removes the tag or keeps it', () => {
    expect(replaceHashtags(t, 'strip-symbol')).toBe('raining flooding Florida TampaBay Tampa 18 or 19 days.');
    expect(collapseWhitespace(replaceHashtags(t, 'remove'))).toBe('18 or 19 days.');
    expect(replaceHashtags(t, 'keep')).toBe(t);
  });
  it('leaves a lone # and "#??" (a hashtag the dataset lost to ?) alone', () => {
    expect(replaceHashtags('JST #?? # 5', 'strip-symbol')).toBe('JST #?? # 5');
  });
});

describe('removeSpecialChars', () => {
  it("'basic' maps typographic punctuation to ASCII and drops symbols", () => {
    expect(asciiPunctuation('\u201cParties\u201d \u2018Let\u2019s\u2019 long\u2026 up \u2013 Bloody \u2014 x')).toBe(
      "\"Parties\" 'Let's' long... up - Bloody - x",
    );
    // 4027 after mojibake repair: the bullets go, the apostrophe stays.
    expect(collapseWhitespace(removeSpecialChars("\u2022i'm the architect of my own disaster\u2022", 'basic'))).toBe(
      "i'm the architect of my own disaster",
    );
    // 8490 after entity decoding
    expect(collapseWhitespace(removeSpecialChars('//kinda screamed >_<', 'basic'))).toBe('//kinda screamed');
    // 3435 after repair: currency and letters stay
    expect(removeSpecialChars('Derail \u00a36bn Worldpay IPO \u2013 R\u00e9union \u2122', 'basic')).toBe(
      'Derail \u00a36bn Worldpay IPO - R\u00e9union  ',
    );
  });
  it("'alnum' keeps letters, digits and spaces only; 'keep' changes nothing", () => {
    expect(collapseWhitespace(removeSpecialChars("I'm on top of the hill and I can see a fire in the woods...", 'alnum'))).toBe(
      'Im on top of the hill and I can see a fire in the woods',
    ); // 13
    expect(removeSpecialChars('a|b', 'keep')).toBe('a|b');
  });
});

describe('collapseWhitespace', () => {
  it('joins lines, no-break spaces and runs of spaces', () => {
    expect(collapseWhitespace("on the outside you're ablaze and alive\nbut you're dead inside")).toBe(
      "on the outside you're ablaze and alive but you're dead inside",
    ); // 61
    expect(collapseWhitespace(' Suicide Bomber Kills 13 At Saudi\u00a0Mosque  ')).toBe('Suicide Bomber Kills 13 At Saudi Mosque'); // 9177
  });
});

describe('urlDecodeKeyword', () => {
  it('decodes %20 and leaves plain or malformed keywords', () => {
    expect(urlDecodeKeyword('buildings%20on%20fire')).toBe('buildings on fire');
    expect(urlDecodeKeyword('ablaze')).toBe('ablaze');
    expect(urlDecodeKeyword('bad%zz%20x%E9')).toBe('bad%zz x%E9');
  });
});

describe('cleanTweet', () => {
  it('applies every default step to real tweets', () => {
    expect(
      cleanTweet('@aphyr I\u0089\u00db\u00aave been following you this long\u0089\u00db_ Sunk cost fallacy or somethin\u0089\u00db\u00aa'),
    ).toBe("I've been following you this long... Sunk cost fallacy or somethin'"); // 9250
    expect(
      cleanTweet('Buyout Giants Bid To Derail \u00e5\u00a36bn Worldpay IPO \u0089\u00db\u00d2 Sky\u00e5\u00caNews http://t.co/94GjsKUR0r'),
    ).toBe('Buyout Giants Bid To Derail \u00a36bn Worldpay IPO - Sky News'); // 3435
    expect(
      cleanTweet(
        '\u0089\u00db\u00a2\u0089\u00db\u00a2If your lost &amp; alone or your sinking like a stone carry on\u00e5\u00a1\u00e5\u00a1',
      ),
    ).toBe('If your lost & alone or your sinking like a stone carry on'); // 8717
    expect(
      cleanTweet(
        'How Missing Jet\u0089\u00db\u00aas Debris Could Have Floated to R\u00cc\u00a9union - The New York Times http://t.co/pNnUnrnqjA',
      ),
    ).toBe("How Missing Jet's Debris Could Have Floated to R\u00e9union - The New York Times"); // 3114
  });

  it('follows the options: lowercase, tokens, no repair', () => {
    const t = 'RT @WIRED: Reddit will now quarantine offensive content http://t.co/zlAGv1U5ZA'; // 7823
    expect(cleanTweet(t, { lowercase: true, urls: 'token', mentions: 'token' })).toBe(
      'rt @user reddit will now quarantine offensive content url',
    );
    expect(cleanTweet(t, { urls: 'keep', mentions: 'keep', specialChars: 'keep' })).toBe(t);
    expect(cleanTweet('I don\u0089\u00db\u00aat', { repairMojibake: false, specialChars: 'keep' })).toBe('I don\u0089\u00db\u00aat');
    expect(cleanTweet('Set goals &amp; DEMOLISH them all!', { decodeHtmlEntities: false })).toBe('Set goals &amp; DEMOLISH them all!'); // 3278
  });

  it('can leave nothing: a tweet that is only links and handles', () => {
    expect(cleanTweet('@bbcmtd http://t.co/lHYXEOHY6C')).toBe('');
  });
});

describe('cleanLocation', () => {
  it('repairs the mojibake of real locations and nothing else', () => {
    expect(cleanLocation('S\u00cc\u00a3o Vicente, S\u00cc\u00a3o Paulo')).toBe('S\u00e3o Vicente, S\u00e3o Paulo');
    expect(cleanLocation('Sherbrooke & Montr\u00cc\u00a9al')).toBe('Sherbrooke & Montr\u00e9al');
    expect(cleanLocation('Crato - CE ')).toBe('Crato - CE');
    expect(cleanLocation('#Jap\u00cc_n @x')).toBe('#Japn @x');
  });
});

describe('config schema', () => {
  it('fills defaults for an empty config and rejects unknown or mistyped fields', () => {
    const c = textConfigSchema.parse({});
    expect(c.clean).toEqual(defaultCleanOptions);
    expect(c.keyword.urlDecode).toBe(true);
    expect(textConfigSchema.parse({ clean: { lowercase: true } }).clean.urls).toBe('remove');
    expect(textConfigSchema.safeParse({ clean: { lowercas: true } }).success).toBe(false);
    expect(cleanOptionsSchema.safeParse({ urls: 'drop' }).success).toBe(false);
  });
});
