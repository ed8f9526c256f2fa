/**
 * A Kaggle submission: `id,target`, one row per test tweet in test.csv order, 0/1 targets.
 * Written here (one format) and checked here (anything else Kaggle rejects is an error).
 */
import { parse } from 'csv-parse/sync';
import { fail } from '@tangent/base';

export function submissionCsv(ids: ArrayLike<number>, labels: ArrayLike<number>): string {
  if (ids.length !== labels.length) fail(`internal: submission with ${ids.length} ids and ${labels.length} labels`);
  let csv = 'id,target\n';
  for (let i = 0; i < ids.length; i++) csv += `${ids[i]},${labels[i] ? 1 : 0}\n`;
  return csv;
}

export interface SubmissionCheck {
  file: string;
  rows: number;
  positives: number;
}

export function checkSubmission(path: string, text: string, testIds: ArrayLike<number>): SubmissionCheck {
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  } catch (e) {
    fail(`${path}: not a valid CSV (${(e as Error).message.split('\n')[0]}); rerun the stage that wrote it`);
  }
  if (rows.length && !('id' in rows[0] && 'target' in rows[0])) fail(`${path}: header must be 'id,target'; rerun the stage that wrote it`);
  if (rows.length !== testIds.length) fail(`${path}: ${rows.length} rows, Kaggle expects ${testIds.length}; rerun the stage that wrote it`);
  let positives = 0;
  rows.forEach((r, i) => {
    if (Number(r.id) !== testIds[i]) fail(`${path}: row ${i + 2} has id ${r.id}, expected ${testIds[i]} (test.csv order)`);
    if (r.target !== '0' && r.target !== '1') fail(`${path}: row ${i + 2} has target '${r.target}', expected 0 or 1`);
    positives += Number(r.target);
  });
  return { file: path.split('/').pop()!, rows: rows.length, positives };
}
