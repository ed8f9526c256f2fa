import { z } from 'zod';
import { datasetNameSchema, datasetSchema, type Dataset } from '@tangent/contracts';

/** How each cleaning step treats tweets; every step can be switched off. */
export const cleanOptionsSchema = z
  .object({
    /** Undo the CSV's cp1252→Mac Roman double encoding ("\x89Ûª" -> "’"). */
    repairMojibake: z.boolean().default(true),
    /** Map "\x89Û_" (â€ + a byte the encoder lost) to "…"; otherwise it is dropped. */
    guessEllipsis: z.boolean().default(true),
    /** Decode HTML character references ("&amp;" -> "&"). */
    decodeHtmlEntities: z.boolean().default(true),
    /** http(s):// and www. links: drop them, keep them, or replace each by `urlToken`. */
    urls: z.enum(['remove', 'keep', 'token']).default('remove'),
    urlToken: z.string().default('URL'),
    /** @handles: drop them (with a trailing ':' as in "RT @x:"), keep them, or use `mentionToken`. */
    mentions: z.enum(['remove', 'keep', 'token']).default('remove'),
    mentionToken: z.string().default('@user'),
    /** #hashtags: keep as is, drop the '#' only, or drop the whole tag. */
    hashtags: z.enum(['keep', 'strip-symbol', 'remove']).default('strip-symbol'),
    /**
     * 'basic': typographic quotes/dashes/ellipsis to ASCII, then keep letters, digits, currency
     * and . , ! ? ' " - : ; ( ) & / % + = * # @; 'alnum': letters, digits and spaces only;
     * 'keep': no change.
     */
    specialChars: z.enum(['keep', 'basic', 'alnum']).default('basic'),
    /** Collapse runs of whitespace (newlines, NBSP, ...) to one space and trim. */
    collapseWhitespace: z.boolean().default(true),
    lowercase: z.boolean().default(false),
  })
  .strict();

export type CleanOptions = z.infer<typeof cleanOptionsSchema>;

export const defaultCleanOptions: CleanOptions = cleanOptionsSchema.parse({});

/** A WHATWG encoding label TextDecoder knows ('latin1', 'windows-1252', 'utf-16le', ...). */
const encodingLabel = z.string().refine(
  (label) => {
    try {
      new TextDecoder(label);
      return true;
    } catch {
      return false;
    }
  },
  { message: "unknown encoding; use a label such as 'utf-8', 'latin1' or 'windows-1252'" },
);

/** A `text-csv` dataset of the manifest's `datasets:` with its name, as the text node puts it in an instance's config. */
export type TextCsvDataset = Extract<Dataset, { kind: 'text-csv' }> & { name: string };

/**
 * The `dataset` field: contracts' datasetSchema plus `name`. Checked through datasetSchema itself
 * (its kinds are strict objects that would refuse `name`), and only a text-csv: the tweets are the
 * text stage's instance without `dataset`, and tables and images skip the text stage.
 */
export const textDatasetSchema = z.looseObject({ name: datasetNameSchema }).transform(({ name, ...spec }, ctx): TextCsvDataset => {
  const r = datasetSchema.safeParse(spec);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    return z.NEVER;
  }
  if (r.data.kind !== 'text-csv') {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `the text stage reads a 'text-csv' dataset here, not '${r.data.kind}'` });
    return z.NEVER;
  }
  return { name, ...r.data };
});

export const textConfigSchema = z
  .object({
    /**
     * Encoding of train.csv/test.csv (or of a text-csv dataset's files). Unset: UTF-8 (or UTF-16
     * with a byte-order mark for the tweets), and any byte that is not valid UTF-8 is an error;
     * set it (e.g. 'latin1') to decode other files.
     */
    encoding: encodingLabel.optional(),
    clean: cleanOptionsSchema.prefault({}),
    keyword: z
      .object({
        /** Kaggle keywords are URL-encoded ("airplane%20accident"). */
        urlDecode: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    location: z
      .object({
        /** Repair mojibake, decode entities and collapse whitespace in the free-text location. */
        clean: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * Set by the text node for a text-csv dataset's instance (key = its name): read that file
     * instead of the Kaggle tweets. Absent for the tweets, whose config is the section as it is.
     */
    dataset: textDatasetSchema.optional(),
  })
  .strict();

export type TextConfig = z.infer<typeof textConfigSchema>;
