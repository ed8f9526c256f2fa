import { describe, expect, it } from 'vitest';
import { findKaggleFile, loadKaggleCsv } from './csv.ts';
import { MOJIBAKE_BYTE, repairMojibake, tables } from './mojibake.ts';
import { paths } from '@tangent/arrow-io';

// Real tweets from Kaggle's train.csv (id in the comment), with escapes for the C1 controls.
const REAL = {
  apostrophe: 'I don\u0089\u00db\u00aat wanna touchdown just wanna make our worlds collide ??', // 2420
  dash: 'My dog\u0089\u00db\u00aas just blown his kennel up \u0089\u00db\u00d2 Bloody Yorkshire Terrorist', // 1372
  quotes: '\u0089\u00db\u00cfParties and body bags go together like drinking and driving.\u0089\u00db\u009d', // 1514
  ellipsis: '@aphyr I\u0089\u00db\u00aave been following you this long\u0089\u00db_ Sunk cost fallacy or somethin\u0089\u00db\u00aa', // 9250
  nbsp: '18 bovines rescued 3 smugglers\u00e5\u00canabbed http://t.co/E7fn5G5rUu', // 8110
  emDash: 'Hail! [pic] \u0089\u00db\u00d3 https://t.co/B7omJ7U3EI', // 5817
  singleQuotes: '#LOL Plymouth (\u0089\u00db\u00f7Let\u0089\u00db\u00aas Obliterate Litter\u0089\u00db\u00aa) http://t.co/GDrssjbH8q', // 7357
  bullets: "\u0089\u00db\u00a2i'm the architect of my own disaster\u0089\u00db\u00a2", // 4027
  eAcute: 'How Missing Jet\u0089\u00db\u00aas Debris Could Have Floated to R\u00cc\u00a9union - The New York Times http://t.co/pNnUnrnqjA', // 3114
  trademark: 'Aftershock \u0089\u00e3\u00a2 (2010) Full\u0089\u00e3\u00a2 Streaming - YouTube http://t.co/vVE3UsesGf', // 176
  euro: 'continue over proposed \u0089\u00e2\u00c2... http://t.co/bBm9sR1wOw', // 2321 (tail)
  pound: 'Buyout Giants Bid To Derail \u00e5\u00a36bn Worldpay IPO \u0089\u00db\u00d2 Sky\u00e5\u00caNews http://t.co/94GjsKUR0r', // 3435
  lostByte: '#Sismo DETECTADO #Jap\u00cc_n 06:32:43 Miyagi Estimated seismic intensity 0 JST #??', // 8640
  degrees: '\u0089\u00db\u00a2\u0089\u00db\u00a2If your lost &amp; alone or your sinking like a stone carry on\u00e5\u00a1\u00e5\u00a1', // 8717
};

// Unicode's CP1252.TXT, bytes 0x80..0x9F (0 = undefined). Kept as code points, not chars, so it is a
// second transcription of the standard: Node 20's TextDecoder('windows-1252') decodes as latin1.
const CP1252_TXT = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];
const cp1252Char = (b: number) => (b >= 0x80 && b < 0xa0 ? String.fromCodePoint(CP1252_TXT[b - 0x80] || b) : String.fromCharCode(b));

describe('mojibake tables', () => {
  it('match the platform Mac Roman decoder and Unicode CP1252.TXT', () => {
    const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
    expect(tables.MAC_ROMAN_HIGH).toBe(new TextDecoder('macintosh').decode(high));
    expect(tables.CP1252_80_9F).toBe(Array.from({ length: 32 }, (_, i) => cp1252Char(0x80 + i)).join(''));
  });

  it('maps the apostrophe bytes as derived by hand: 0x89->E2, 0xDB->80, 0xAA->99', () => {
    expect([MOJIBAKE_BYTE[0x89], MOJIBAKE_BYTE[0xdb], MOJIBAKE_BYTE[0xaa]]).toEqual([0xe2, 0x80, 0x99]);
    // 0xB0 is '∞' in Mac Roman, which cp1252 cannot encode: not part of this mojibake.
    expect(MOJIBAKE_BYTE[0xb0]).toBe(-1);
  });
});

describe('repairMojibake on real tweets', () => {
  it('restores punctuation', () => {
    expect(repairMojibake(REAL.apostrophe)).toBe('I don\u2019t wanna touchdown just wanna make our worlds collide ??');
    expect(repairMojibake(REAL.dash)).toBe('My dog\u2019s just blown his kennel up \u2013 Bloody Yorkshire Terrorist');
    expect(repairMojibake(REAL.quotes)).toBe('\u201cParties and body bags go together like drinking and driving.\u201d');
    expect(repairMojibake(REAL.emDash)).toBe('Hail! [pic] \u2014 https://t.co/B7omJ7U3EI');
    expect(repairMojibake(REAL.singleQuotes)).toBe('#LOL Plymouth (\u2018Let\u2019s Obliterate Litter\u2019) http://t.co/GDrssjbH8q');
    expect(repairMojibake(REAL.bullets)).toBe("\u2022i'm the architect of my own disaster\u2022");
    expect(repairMojibake(REAL.degrees)).toBe('\u2022\u2022If your lost &amp; alone or your sinking like a stone carry on\u00b0\u00b0');
  });

  it('restores letters, symbols and the no-break space', () => {
    expect(repairMojibake(REAL.eAcute)).toContain('Jet\u2019s Debris Could Have Floated to R\u00e9union -');
    expect(repairMojibake(REAL.trademark)).toBe('Aftershock \u2122 (2010) Full\u2122 Streaming - YouTube http://t.co/vVE3UsesGf');
    expect(repairMojibake(REAL.euro)).toBe('continue over proposed \u20ac... http://t.co/bBm9sR1wOw');
    expect(repairMojibake(REAL.pound)).toBe(
      'Buyout Giants Bid To Derail \u00a36bn Worldpay IPO \u2013 Sky\u00a0News http://t.co/94GjsKUR0r',
    );
    expect(repairMojibake(REAL.nbsp)).toBe('18 bovines rescued 3 smugglers\u00a0nabbed http://t.co/E7fn5G5rUu');
  });

  it('turns the truncation mark into an ellipsis, or drops it when asked', () => {
    expect(repairMojibake(REAL.ellipsis)).toBe('@aphyr I\u2019ve been following you this long\u2026 Sunk cost fallacy or somethin\u2019');
    expect(repairMojibake(REAL.ellipsis, { guessEllipsis: false })).toBe(
      '@aphyr I\u2019ve been following you this long Sunk cost fallacy or somethin\u2019',
    );
  });

  it('drops a character whose byte was lost, with its placeholder', () => {
    // "Japón": ó = C3 B3, and '³' has no Mac Roman form, so only "Ã" + '_' survived.
    expect(repairMojibake(REAL.lostByte)).toBe('#Sismo DETECTADO #Japn 06:32:43 Miyagi Estimated seismic intensity 0 JST #??');
  });

  it('leaves ASCII and non-Latin-1 text alone', () => {
    const ascii = "on the outside you're ablaze and alive\nbut you're dead inside"; // 61
    expect(repairMojibake(ascii)).toBe(ascii);
    expect(repairMojibake('\u2019 \u4e2d')).toBe('\u2019 \u4e2d');
  });
});

/** The inverse pipeline with the platform's decoders and CP1252.TXT: latin1 bytes → Mac Roman → cp1252 bytes → UTF-8. */
function oracle(run: string): string | null {
  const mac = new TextDecoder('macintosh').decode(Buffer.from(run, 'latin1'));
  const cp = new Map<string, number>();
  for (let b = 0; b < 256; b++) cp.set(cp1252Char(b), b);
  const undefinedInCp1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);
  const bytes: number[] = [];
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    // Bytes cp1252 leaves undefined pass through every step unchanged.
    const b = undefinedInCp1252.has(c) ? c : cp.get(mac[i]);
    if (b === undefined) return null;
    bytes.push(b);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

describe('repairMojibake against the platform decoders on every row of the data', () => {
  it('agrees on every run of U+0080..U+00FF that decodes to valid UTF-8', () => {
    let checked = 0;
    let lostByte = 0;
    const otherUndecodable: string[] = [];
    for (const name of ['train.csv', 'test.csv']) {
      const { rows } = loadKaggleCsv(findKaggleFile(paths.rawData(), name));
      for (const r of rows) {
        for (const field of [r.text, r.location]) {
          for (const m of field.matchAll(/[\u0080-\u00ff]+/g)) {
            const want = oracle(m[0]);
            if (want === null) {
              if (field[m.index! + m[0].length] === '_') lostByte++;
              else otherUndecodable.push(m[0]);
              continue;
            }
            expect(repairMojibake(m[0]), JSON.stringify(m[0])).toBe(want);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(900);
    // Nearly all runs the oracle rejects are cut short by a lost byte ("\x89Û" before '_').
    expect(lostByte).toBeGreaterThan(500);
    expect(otherUndecodable.length, JSON.stringify(otherUndecodable)).toBeLessThan(5);
  });
});
