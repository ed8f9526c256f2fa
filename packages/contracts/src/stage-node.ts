/**
 * A stage's place in the pipeline graph, declared once (kedro's `node(func, inputs, outputs)`):
 * the manifest section it reads, the upstream artifacts it reads (its edges), the files it
 * publishes, and how its instances come from the grid. `nodes/<stage>.ts` holds one per stage,
 * `stage-registry.ts` lists them, and everything that names a stage is derived from that list:
 * the instances, their identities and folders (instances.ts), the manifest's sections, the Nx
 * tasks (tools/nx-pipeline-plugin.mjs), the CLI's subcommands and docs/contributing.md.
 *
 * The node is light on purpose (no numerics, no I/O beyond hashing raw files): the graph is
 * built from every node, while a task loads the implementation of its own stage only, bound to
 * its node by `defineStage(node, { version, configSchema, run })`.
 */
import type { Grid, Manifest } from './manifest.ts';

/** The grid coordinates of an instance (only those its stage depends on). */
export interface GridPoint {
  /** The dataset (manifest `datasets:`) the instance's rows come from. */
  dataset?: string;
  embedder?: string;
  d?: number;
  width?: number;
  seed?: number;
  lr?: number;
  /** The regime (mlp variant, manifest `regimes`) of a run; absent for the grid's own runs. */
  regime?: string;
}

export interface Instance {
  stage: string;
  /**
   * Grid key: '' (text, analysis, submissions), 'use-lite', 'use-lite-d128', 'use-lite-d128/w16-s0-lr1',
   * 'use-lite-d128/mup/w64-s0-lr1' (a regime's run), 'use-lite-d128/submit-w16'.
   */
  key: string;
  point: GridPoint;
  /** The stage's config: its manifest section plus the grid coordinates it needs. */
  config: Record<string, unknown>;
  /** The instances it reads, by id. */
  deps: string[];
  /**
   * sha256 hex of stage, key, config, the deps' identities and the bytes of the raw files it
   * reads (`data`): every artifact records it and every reader compares it.
   */
  identity: string;
  /**
   * The same without the raw data's bytes: what the Nx graph (computed from the manifest alone,
   * and cached by Nx until the manifest changes) can know, and what `--expect` compares.
   */
  graphIdentity: string;
  /** Raw input files (name → sha256 of the bytes, or 'missing'), for a stage that reads raw data. */
  data?: Record<string, string>;
  /**
   * Artifact folder relative to the artifacts root, e.g. 'pca/use-lite-d128': the default
   * profile's, or 'analysis@features' for another profile's instance that differs from it.
   */
  dir: string;
}

/** What an instance of the node reads from one upstream stage: the stage and its files (names or `dir/*.ext` patterns). */
export interface InputDescriptor {
  stage: string;
  files: readonly string[];
}

/** One instance as a node declares it; instances.ts adds its identity and folder. */
export interface InstanceSpec {
  key: string;
  point?: GridPoint;
  config: Record<string, unknown>;
  /** Upstream instances it reads (each of a stage among the node's inputs). */
  deps: readonly Instance[];
  /** Raw files it reads, name → sha256 (see input-freshness.ts rawDataDigest): part of its identity. */
  data?: Record<string, string>;
}

/** What a node's `instances` sees: the resolved manifest profile and the instances made so far. */
export interface ExpandContext {
  manifest: Manifest;
  grid: Grid;
  /** The node's own manifest section (raw, validated later by its stage's config schema). */
  section: Record<string, unknown>;
  /** The instances of one of the node's input stages, in creation order. */
  of(stage: string): Instance[];
  /** Where raw data lives ($TANGENT_DATA_DIR), for a node whose instances hash raw files. */
  dataDir: string;
}

export type ExternalInputs = ReadonlyArray<{ env: string } | { runtime: string }>;

/** A node's external inputs for one of its instances. */
export const externalInputsOf = (node: Pick<StageNode, 'externalInputs'>, inst: Instance): ExternalInputs =>
  typeof node.externalInputs === 'function' ? node.externalInputs(inst) : (node.externalInputs ?? []);

export interface StageNode {
  /** kebab-case; `tangent <name>` and the artifact folder data/<name>/. */
  name: string;
  description: string;
  /**
   * The workspace package that implements it, the export of its `defineStage`, and optionally
   * the export of its CLI extension (extra flags and a mode of their own, e.g. embed's CSV mode).
   */
  implementation: { package: string; export: string; cliExtension?: string };
  /** The manifest section it reads (default: its name; `mlp-submit` reads `mlp`; null: none). */
  section?: string | null;
  /** The upstream artifacts its instances read: its edges, and the only reads the contract allows. */
  inputs: readonly InputDescriptor[];
  /** File names (or `dir/*.ext` patterns) an instance publishes. */
  outputs: readonly string[];
  /** Its instances; an instance-less node (no grid point) returns []. */
  instances(ctx: ExpandContext): InstanceSpec[];
  /** Keyed instances live in data/<name>/<key>; a gatherer's single keyless one in data/<name>. */
  folder?: (key: string) => string;
  /** Its instances run in batches (the mlp runs): one BLAS thread each under Nx. */
  batch?: boolean;
  /**
   * Environment variables and commands outside the graph whose values its outputs depend on (Nx
   * inputs): the same for every instance, or per instance (e.g. the files of its own dataset).
   */
  externalInputs?: ExternalInputs | ((inst: Instance) => ExternalInputs);
}

export function defineNode(node: StageNode): StageNode {
  return Object.freeze({ ...node });
}

/** The manifest section a node reads, or null. */
export const nodeSection = (n: Pick<StageNode, 'name' | 'section'>): string | null => (n.section === undefined ? n.name : n.section);
