/**
 * The datasets a study runs on: the manifest's `datasets:` section names each one and says how to
 * read it, and `grid.datasets` lists those a profile runs. Four kinds:
 * - `kaggle-tweets`: the Kaggle "NLP with Disaster Tweets" CSVs (the text stage's own reader);
 * - `text-csv`: any labelled text in a delimited file (id/text/label columns, with or without a
 *   header), with a test file or a seeded stratified test split;
 * - `table-csv`: numeric feature columns and a label column, standardised on the train rows;
 * - `fashion-mnist`: the IDX files, optionally a seeded stratified subset of each split.
 *
 * Text datasets go text → embed → pca; table and image datasets go to the pca stage directly,
 * which projects them to each grid d (`preprocess: pca`) or only scales the rows to unit norm
 * (`preprocess: none`: the raw features, straight to the kernel and network stages).
 *
 * Keys and folders: the tweets (the project's first dataset) keep the keys they had before
 * datasets existed (`use-lite-d128`, folder `ntk/use-lite-d128`), so their identities and numbers
 * are unchanged; every other dataset's keys start with its name (`sms-spam.use-lite-d128`,
 * `digits.raw-d32`).
 */
import { z } from 'zod';
import { assertName, nameSchema, pathSegmentProblem, PATH_SEGMENT_MAX } from './path-segment.ts';

/** The dataset whose keys carry no prefix: the Kaggle tweets, the project's first dataset. */
export const TWEETS_DATASET = 'tweets';

/** A column by header name or by 0-based index (files without a header). */
const column = z.union([z.string().min(1), z.number().int().nonnegative()]);

/** Where the test rows come from: a file of the same layout, or a seeded stratified share of the file. */
const testSplit = {
  /** A test file with the same columns (absent: `testFraction` of the rows, stratified by label). */
  test: z.string().min(1).optional(),
  /** The stratified share of rows held out as the labelled test split when there is no test file. */
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /** Seed of that split (and of any row subset). */
  seed: z.number().int().nonnegative().default(0),
};

const csvLayout = {
  /** The data file: absolute, or relative to $TANGENT_DATA_DIR (then to the working directory). */
  path: z.string().min(1),
  /** One character: ',' (default), ';', '\t', … */
  delimiter: z.string().length(1).default(','),
  /** Whether the first line names the columns (columns may then be named; without one, indices). */
  header: z.boolean().default(true),
};

/** What the kernel stage gets from a table or image: its pca projection to each grid d, or the raw features. */
const preprocess = z.enum(['pca', 'none']).default('pca');

export const datasetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('kaggle-tweets') }).strict(),
  z
    .object({
      kind: z.literal('text-csv'),
      ...csvLayout,
      columns: z
        .object({
          /** Row ids (absent: the 0-based row number in the file, test rows numbered after train's). */
          id: column.optional(),
          text: column,
          label: column,
        })
        .strict(),
      ...testSplit,
    })
    .strict(),
  z
    .object({
      kind: z.literal('table-csv'),
      ...csvLayout,
      columns: z
        .object({
          label: column,
          /** Numeric feature columns (absent: every column but the label and the id). */
          features: z.array(column).nonempty().optional(),
          id: column.optional(),
        })
        .strict(),
      /** Standardise each feature column with the train rows' mean and standard deviation. */
      standardize: z.boolean().default(true),
      preprocess,
      ...testSplit,
    })
    .strict(),
  z
    .object({
      kind: z.literal('fashion-mnist'),
      /** A seeded stratified subset of the 60 000 train images (absent: all). */
      trainRows: z.number().int().positive().optional(),
      /** A seeded stratified subset of the 10 000 test images (absent: all). */
      testRows: z.number().int().positive().optional(),
      seed: z.number().int().nonnegative().default(0),
      preprocess,
    })
    .strict(),
]);

export type Dataset = z.infer<typeof datasetSchema>;
export type TextDataset = Extract<Dataset, { kind: 'kaggle-tweets' | 'text-csv' }>;
export type FeatureDataset = Extract<Dataset, { kind: 'table-csv' | 'fashion-mnist' }>;

/** The datasets every manifest has without declaring them. */
export const BUILTIN_DATASETS: Readonly<Record<string, Dataset>> = { [TWEETS_DATASET]: { kind: 'kaggle-tweets' } };

/**
 * What is wrong with `name` as a dataset name, or null: a folder name (path-segment.ts) without a
 * dot. A dataset's instance keys are `<name>.<input>` and an input (an embedder's name) may hold
 * dots, so a dotted dataset name would make one key for two instances: dataset `x` with embedder
 * `y.z` and dataset `x.y` with embedder `z` are both `x.y.z`.
 */
export function datasetNameProblem(name: string): string | null {
  return pathSegmentProblem(name) ?? (name.includes('.') ? `'${name}' contains a dot (its keys are <name>.<input>)` : null);
}

const DATASET_NAME_RULE = `letters, digits, _ and - (no dot), at most ${PATH_SEGMENT_MAX} characters`;

export const datasetNameSchema = nameSchema(datasetNameProblem, `a dataset name: ${DATASET_NAME_RULE}`);

/** Fail with one line when `name` (named `field` in `source`) is not a dataset name. */
export const assertDatasetName = (name: string, field: string, source: string): void =>
  assertName(datasetNameProblem, DATASET_NAME_RULE, name, field, source);

/** Text goes through the embed stage; tables and images do not. */
export const isTextDataset = (d: Dataset): d is TextDataset => d.kind === 'kaggle-tweets' || d.kind === 'text-csv';

/** The prefix of a dataset's instance keys: none for the tweets, `<name>.` for every other. */
export const datasetKey = (dataset: string, key: string): string =>
  dataset === TWEETS_DATASET ? key : key ? `${dataset}.${key}` : dataset;

/** The "embedder" of a table or image dataset: its features as they are. */
export const RAW_FEATURES = 'raw';

/**
 * Whether an instance's rows are a Kaggle competition's (its test split unlabelled): only then
 * are its test predictions a submission (submission.csv, data/submissions/); every other
 * dataset's test split is labelled and scored instead.
 */
export const isKaggleDataset = (datasets: Readonly<Record<string, Dataset>>, dataset: string | undefined): boolean =>
  datasets[dataset ?? TWEETS_DATASET]?.kind === 'kaggle-tweets';
