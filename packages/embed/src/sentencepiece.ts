/**
 * SentencePiece unigram tokenizer for the Universal Sentence Encoder lite vocabulary
 * (a list of [piece, log-probability]). Viterbi segmentation: the token sequence that
 * maximises the sum of piece log-probabilities, as in Kudo (2018), eq. (2) at inference.
 *
 * Behaviour follows the tokenizer of @tensorflow-models/universal-sentence-encoder (Apache-2.0),
 * which the USE-lite graph was trained against, including its quirks: NFKC normalisation,
 * spaces become U+2581 with one prepended, unknown characters map to id 0 and consecutive
 * unknowns merge into one, and ties between equal-score paths go to the later candidate.
 */

const SEPARATOR = 0x2581;
const SPACE = 0x20;
/** The first six vocabulary entries are control symbols (<unk>, <s>, </s>, ...), never matched. */
const RESERVED = 6;

/** A trie node, keyed by Unicode code point. */
interface Node {
  children: Map<number, Node>;
  /** Vocabulary index when a piece ends here, else -1. */
  index: number;
  score: number;
}

function newNode(): Node {
  return { children: new Map(), index: -1, score: 0 };
}

/** Code points of U+2581 + `text` with every space replaced by U+2581 (astral characters count once). */
function symbolsOf(text: string): number[] {
  const out = [SEPARATOR];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out.push(c === SPACE ? SEPARATOR : c);
  }
  return out;
}

export class SentencePieceTokenizer {
  private readonly root = newNode();
  private readonly pieceLength: Int32Array;

  constructor(readonly vocabulary: ReadonlyArray<readonly [string, number]>) {
    this.pieceLength = new Int32Array(vocabulary.length);
    for (let i = 0; i < vocabulary.length; i++) this.pieceLength[i] = Array.from(vocabulary[i][0]).length;
    for (let i = RESERVED; i < vocabulary.length; i++) {
      const [piece, score] = vocabulary[i];
      let node = this.root;
      for (const ch of piece) {
        const c = ch.codePointAt(0)!;
        let next = node.children.get(c);
        if (!next) node.children.set(c, (next = newNode()));
        node = next;
      }
      node.index = i;
      node.score = score;
    }
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const symbols = symbolsOf(normalized);
    const n = symbols.length;
    // best[e]: best total score of a segmentation of symbols[0, e); word[e]: last piece's index.
    // Score 0 doubles as "unset", which is what the reference implementation does.
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    // Forward Viterbi: best[i] is final once every piece ending at i has been offered, i.e. after
    // all starts < i; offering the pieces from each start in increasing start order visits every
    // end's candidates in the order the reference does (ascending start, the last >= tie wins).
    for (let i = 0; i < n; i++) {
      const from = best[i];
      let node = this.root.children.get(symbols[i]);
      let found = false;
      for (let j = i; node;) {
        if (node.index >= 0) {
          const total = node.score + from;
          if (best[j + 1] === 0 || total >= best[j + 1]) {
            best[j + 1] = total;
            word[j + 1] = node.index;
          }
          found = true;
        }
        if (++j >= n) break;
        node = node.children.get(symbols[j]);
      }
      // Unknown symbol: a one-character piece with id 0 and score 0.
      if (!found && (best[i + 1] === 0 || from >= best[i + 1])) {
        best[i + 1] = from;
        word[i + 1] = 0;
      }
    }
    const out: number[] = [];
    for (let e = n; e > 0;) {
      const id = word[e];
      out.push(id);
      // An unknown piece spans one symbol; the reference uses the length of vocabulary[0]
      // ("\uFFFD", one symbol) for it, which agrees.
      e -= id === 0 ? 1 : this.pieceLength[id];
    }
    out.reverse();
    const merged: number[] = [];
    for (let i = 0; i < out.length; i++) if (!(out[i] === 0 && i > 0 && out[i - 1] === 0)) merged.push(out[i]);
    return merged;
  }
}
