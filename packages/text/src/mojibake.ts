/**
 * Repair of the Kaggle disaster-tweets mojibake. The CSV's non-ASCII text went through
 *   UTF-8 bytes --decode cp1252--> text --encode Mac Roman--> bytes --decode latin1--> what we read,
 * so the apostrophe U+2019 (E2 80 99) reads as "\x89Ûª": E2 -> 'â' -> 0x89, 80 -> '€' -> 0xDB,
 * 99 -> '™' -> 0xAA. Inverting each step recovers the original text exactly, except where a
 * cp1252 character had no Mac Roman form: the encoder wrote '_' for it, and that byte is lost.
 */

/** Mac Roman (WHATWG "macintosh") bytes 0x80..0xFF. */
const MAC_ROMAN_HIGH =
  'ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü' +
  '†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø' +
  '¿¡¬√ƒ≈∆«»…\u00a0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ' +
  '‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uf8ffÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ';

/**
 * cp1252 (WHATWG "windows-1252") bytes 0x80..0x9F; 0xA0..0xFF equal latin1. The five bytes
 * cp1252 leaves undefined (81 8D 8F 90 9D) decode to the C1 control of the same value.
 */
const CP1252_80_9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** Bytes that cp1252 does not define: they passed through every step unchanged. */
const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

function buildCp1252Encoder(): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < 32; i++) m.set(CP1252_80_9F[i], 0x80 + i);
  for (let b = 0xa0; b <= 0xff; b++) m.set(String.fromCharCode(b), b);
  return m;
}

/**
 * For each char U+0080..U+00FF as read from the CSV, the original UTF-8 byte it stands for, or
 * -1 where the Mac Roman character has no cp1252 byte (so the char cannot be this mojibake).
 */
export const MOJIBAKE_BYTE: Int16Array = (() => {
  const enc = buildCp1252Encoder();
  const table = new Int16Array(256).fill(-1);
  for (let c = 0x80; c <= 0xff; c++) {
    if (CP1252_UNDEFINED.has(c)) {
      table[c] = c;
      continue;
    }
    const mac = MAC_ROMAN_HIGH[c - 0x80];
    table[c] = enc.get(mac) ?? -1;
  }
  return table;
})();

/** The exported tables, for tests that check them against the platform's TextDecoder. */
export const tables = { MAC_ROMAN_HIGH, CP1252_80_9F };

/** Number of bytes in the UTF-8 sequence that starts with lead byte `b` (0 if `b` cannot lead). */
function utf8Length(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

function decodeSequence(bytes: number[]): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** E2 80 + one lost byte: in this data it is always Twitter's truncation ellipsis (U+2026). */
const LOST_AFTER_E2_80 = '\u2026';

export interface MojibakeOptions {
  /** Replace "â€" + lost byte (read as "\x89Û_") by "…" rather than dropping it. Default true. */
  guessEllipsis?: boolean;
}

/**
 * Undo the cp1252→Mac Roman double encoding in `text`. Runs of chars U+0080..U+00FF are mapped
 * back to their UTF-8 bytes and decoded; complete sequences become the original characters,
 * a sequence cut short by the '_' the encoder wrote for an unmappable byte is dropped together
 * with that '_' (except the ellipsis, see `guessEllipsis`), and stray bytes are dropped.
 * ASCII and chars outside U+0080..U+00FF are left as they are.
 */
export function repairMojibake(text: string, options: MojibakeOptions = {}): string {
  const guessEllipsis = options.guessEllipsis ?? true;
  if (!/[\u0080-\u00ff]/.test(text)) return text;
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 0x80 || c > 0xff || MOJIBAKE_BYTE[c] < 0) {
      out += text[i];
      i++;
      continue;
    }
    // Gather the maximal run of mappable chars and turn it into bytes.
    const bytes: number[] = [];
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d < 0x80 || d > 0xff || MOJIBAKE_BYTE[d] < 0) break;
      bytes.push(MOJIBAKE_BYTE[d]);
      i++;
    }
    let k = 0;
    while (k < bytes.length) {
      const len = utf8Length(bytes[k]);
      if (len === 0) {
        k++; // a continuation or invalid byte on its own: nothing to recover
        continue;
      }
      const seq = bytes.slice(k, k + len);
      const decoded = seq.length === len ? decodeSequence(seq) : null;
      if (decoded !== null) {
        out += decoded;
        k += len;
        continue;
      }
      if (k + seq.length === bytes.length && seq.length === len - 1 && text[i] === '_') {
        // The encoder's '_' stands for the one missing byte.
        if (guessEllipsis && seq[0] === 0xe2 && seq[1] === 0x80) out += LOST_AFTER_E2_80;
        i++;
        k = bytes.length;
        continue;
      }
      k++;
    }
  }
  return out;
}
