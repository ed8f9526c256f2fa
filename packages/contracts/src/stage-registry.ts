/**
 * The pipeline's stages: the one list (nodes/index.ts, a line per stage), in graph order. The
 * instances and their edges, the manifest's sections, the Nx tasks, the CLI's subcommands and
 * docs/contributing.md's table all come from it. A new stage is its node file in nodes/ and one
 * line in nodes/index.ts (`npm run new-stage -- <name>` writes both, and the package).
 */
import { fail } from '@tangent/base';
import * as nodes from './nodes/index.ts';
import { nodeSection, type StageNode } from './stage-node.ts';

/**
 * Nodes in dependency order: each after the stages it reads. Among those ready, the one with the
 * longest chain of readers after it goes first (the pipeline's spine before its side branches),
 * then by name: a node's inputs, not a hand-kept list, decide where it stands.
 */
export function graphOrder(list: readonly StageNode[]): StageNode[] {
  const known = new Set(list.map((n) => n.name));
  for (const n of list)
    for (const i of n.inputs)
      if (!known.has(i.stage)) fail(`internal: stage '${n.name}' reads '${i.stage}', which is not a registered stage`);
  const height = new Map<string, number>();
  const heightOf = (name: string, seen: string[] = []): number => {
    if (seen.includes(name)) fail(`internal: the stages' inputs form a cycle: ${[...seen, name].join(' → ')}`);
    if (!height.has(name)) {
      const readers = list.filter((n) => n.inputs.some((i) => i.stage === name));
      height.set(name, 1 + Math.max(0, ...readers.map((r) => heightOf(r.name, [...seen, name]))));
    }
    return height.get(name)!;
  };
  const pending = [...list].sort((a, b) => heightOf(b.name) - heightOf(a.name) || a.name.localeCompare(b.name));
  const out: StageNode[] = [];
  const placed = new Set<string>();
  while (pending.length) {
    const k = pending.findIndex((n) => n.inputs.every((i) => placed.has(i.stage)));
    if (k < 0) fail(`internal: the stages' inputs form a cycle among ${pending.map((n) => n.name).join(', ')}`);
    const [next] = pending.splice(k, 1);
    out.push(next);
    placed.add(next.name);
  }
  return out;
}

export const STAGE_NODES: readonly StageNode[] = graphOrder(Object.values(nodes));

export const STAGE_NAMES: readonly string[] = STAGE_NODES.map((n) => n.name);

/** The manifest sections the stages read (each validated later by its stage's config schema). */
export const SECTION_NAMES: readonly string[] = [...new Set(STAGE_NODES.map(nodeSection).filter((s): s is string => s !== null))];

export function stageNode(name: string): StageNode | undefined {
  return STAGE_NODES.find((n) => n.name === name);
}
