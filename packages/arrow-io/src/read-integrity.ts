import { fail } from '@tangent/base';

/** What a reader expects of an artifact beyond its schema; every field is optional. */
export interface ReadArtifactOptions {
  /** The stage(s) that may have written the file (recorded `meta.stage`). */
  stage?: string | string[];
  /** The artifact kind (recorded `meta.kind` or `meta.extra.artifact`), checked when the file records one. */
  kind?: string;
  /** The pipeline grid key such as "use-lite-d128" (recorded `meta.key`), checked when the file records one. */
  key?: string;
  /** A file with 0 rows is an error. */
  nonEmpty?: boolean;
  /** How to make the file, appended to "file not found" style messages, e.g. "run `tangent embed` first". */
  hint?: string;
}

/** Where a run of values came from, for error messages. */
export interface ValuesSource {
  file: string;
  column: string;
  /** Row index of values[0] within the file (when checking a chunk); default 0. */
  rowOffset?: number;
}

/**
 * Throw one line naming file, row (0-based) and column of the first NaN or ±Infinity in
 * row-major `values` with `dim` values per row.
 */
export function assertFinite(values: ArrayLike<number>, dim: number, where: ValuesSource): void {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // v - v is 0 for every finite number and NaN for NaN and ±Infinity.
    if (v - v !== 0) {
      const row = (where.rowOffset ?? 0) + Math.floor(i / Math.max(dim, 1));
      const el = dim > 1 ? ` element ${i % dim}` : '';
      fail(
        `${where.file}: column '${where.column}' row ${row}${el} is ${v}; the stage that wrote it produced non-finite values — check its input and rerun it`,
      );
    }
  }
}

/** The recorded meta fields a reader checks, parsed loosely (older files lack `kind`/`key`). */
interface RecordedMeta {
  stage?: unknown;
  kind?: unknown;
  key?: unknown;
  rows?: unknown;
  extra?: { artifact?: unknown } | null;
}

function orList(xs: string[]): string {
  return xs.length === 1 ? `'${xs[0]}'` : `one of ${xs.map((x) => `'${x}'`).join(', ')}`;
}

/**
 * Parse the JSON provenance block of `path`; invalid JSON or a non-object is one line naming
 * the file (the caller's schema check already passed, so the columns are right).
 */
export function parseArtifactMeta<T>(path: string, raw: string, key: string): T {
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    fail(
      `${path}: '${key}' provenance metadata is not valid JSON (${(e as Error).message}); delete the file and rerun the stage that writes it`,
    );
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
    fail(`${path}: '${key}' provenance metadata is not a JSON object; delete the file and rerun the stage that writes it`);
  const m = meta as RecordedMeta;
  if (typeof m.stage !== 'string')
    fail(`${path}: '${key}' provenance metadata has no 'stage'; delete the file and rerun the stage that writes it`);
  if (m.rows !== undefined && (typeof m.rows !== 'number' || !Number.isInteger(m.rows) || m.rows < 0))
    fail(
      `${path}: '${key}' provenance metadata has an invalid 'rows' (${JSON.stringify(m.rows)}); delete the file and rerun the stage that writes it`,
    );
  return meta as T;
}

/**
 * Compare what the file records with what the reader expects: the writing stage, kind, grid
 * key, and the row count the provenance recorded against the rows actually decoded.
 */
export function checkArtifactExpectations(path: string, meta: RecordedMeta, rows: number, opts: ReadArtifactOptions): void {
  const how = opts.hint ? `; ${opts.hint}` : '';
  const stages = opts.stage === undefined ? [] : Array.isArray(opts.stage) ? opts.stage : [opts.stage];
  const recordedKind =
    typeof meta.kind === 'string'
      ? meta.kind
      : meta.extra && typeof meta.extra === 'object' && typeof meta.extra.artifact === 'string'
        ? meta.extra.artifact
        : undefined;
  if (stages.length && !stages.includes(meta.stage as string))
    fail(
      `${path}: written by the '${meta.stage}' stage${recordedKind ? ` ('${recordedKind}')` : ''}, expected output of the ${orList(stages)} stage; this file was copied or misplaced — delete it and rerun the ${orList(stages)} stage${how}`,
    );
  if (opts.kind !== undefined && recordedKind !== undefined && recordedKind !== opts.kind)
    fail(
      `${path}: holds a '${recordedKind}' artifact, expected '${opts.kind}'; this file was copied or misplaced — delete it and rerun the '${meta.stage}' stage${how}`,
    );
  if (opts.key !== undefined && typeof meta.key === 'string' && meta.key !== opts.key)
    fail(
      `${path}: made for '${meta.key}', expected '${opts.key}'; this file was copied or misplaced — delete it and rerun the '${meta.stage}' stage${how}`,
    );
  if (typeof meta.rows === 'number' && meta.rows !== rows)
    fail(
      `${path}: corrupt Arrow file (${rows} rows decoded, its provenance records ${meta.rows}); delete it and rerun the '${meta.stage}' stage`,
    );
  if (opts.nonEmpty && rows === 0)
    fail(`${path}: no rows (a valid artifact with 0 rows)${how || `; check the input of the '${meta.stage}' stage and rerun it`}`);
}
