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

const SEPARATOR = '\u2581';
/** The first six vocabulary entries are control symbols (<unk>, <s>, </s>, ...), never matched. */
const RESERVED = 6;

interface Node {
  children: Map<string, Node>;
  /** Vocabulary index when a piece ends here, else -1. */
  index: number;
  score: number;
}

function newNode(): Node {
  return { children: new Map(), index: -1, score: 0 };
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
        let next = node.children.get(ch);
        if (!next) node.children.set(ch, (next = newNode()));
        node = next;
      }
      node.index = i;
      node.score = score;
    }
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    // Code points, not UTF-16 units, so that emoji and other astral characters count as one symbol.
    const symbols = Array.from(SEPARATOR + normalized.replace(/ /g, SEPARATOR));
    const n = symbols.length;
    // best[e]: best total score of a segmentation of symbols[0, e); word[e]: last piece's index.
    // Score 0 doubles as "unset", which is what the reference implementation does.
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    // Candidates grouped by end position, visited in increasing start order like the reference.
    const ends: Array<Array<[number, number, number]>> = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let node = this.root.children.get(symbols[i]);
      let found = false;
      for (let j = i; j < n && node; j++) {
        if (node.index >= 0) {
          ends[j + 1].push([i, node.index, node.score]);
          found = true;
        }
        node = j + 1 < n ? node.children.get(symbols[j + 1]) : undefined;
      }
      if (!found) ends[i + 1].push([i, 0, 0]); // unknown symbol: a one-character piece with id 0
    }
    for (let e = 1; e <= n; e++) {
      // The reference iterates starts as object keys (ascending) and keeps the last >= tie.
      const cands = ends[e].sort((a, b) => a[0] - b[0]);
      for (const [s, index, score] of cands) {
        const total = score + best[s];
        if (best[e] === 0 || total >= best[e]) {
          best[e] = total;
          word[e] = index;
        }
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
