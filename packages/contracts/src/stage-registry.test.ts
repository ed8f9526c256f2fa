import { describe, expect, it } from 'vitest';
import { matchesFilePattern } from './define-stage.ts';
import { defineNode, type StageNode } from './stage-node.ts';
import { SECTION_NAMES, STAGE_NAMES, STAGE_NODES, graphOrder } from './stage-registry.ts';

/** `pattern` (a declared output) covers `file` (a declared input, maybe itself a pattern: its `*` stands for any name). */
const covers = (pattern: string, file: string) => matchesFilePattern(pattern, file.replace(/\*/g, 'x'));

const node = (name: string, reads: string[]): StageNode =>
  defineNode({
    name,
    description: name,
    implementation: { package: '(test)', export: name },
    inputs: reads.map((stage) => ({ stage, files: ['out.json'] })),
    outputs: ['out.json'],
    instances: () => [],
  });

describe('the stage registry', () => {
  it('every declared input file is among its upstream stage’s declared outputs', () => {
    for (const n of STAGE_NODES)
      for (const input of n.inputs) {
        const up = STAGE_NODES.find((u) => u.name === input.stage)!;
        for (const f of input.files)
          expect(
            up.outputs.some((o) => covers(o, f)),
            `${n.name} reads ${input.stage}/${f}`,
          ).toBe(true);
      }
  });

  it('orders each stage after the stages it reads; the sections and names are the nodes’', () => {
    const pos = new Map(STAGE_NAMES.map((s, i) => [s, i]));
    for (const n of STAGE_NODES) for (const i of n.inputs) expect(pos.get(i.stage)!).toBeLessThan(pos.get(n.name)!);
    expect(STAGE_NAMES[0]).toBe('text');
    expect(new Set(STAGE_NAMES).size).toBe(STAGE_NAMES.length);
    expect(SECTION_NAMES).toContain('mlp');
    expect(SECTION_NAMES).not.toContain('mlp-submit'); // it reads the mlp section
    expect(SECTION_NAMES).not.toContain('submissions'); // no section
  });

  it('graphOrder: a chain in any listing order comes out in dependency order; a cycle or unknown input is one line', () => {
    const chain = [node('c', ['b']), node('a', []), node('b', ['a']), node('side', ['a'])];
    expect(graphOrder(chain).map((n) => n.name)).toEqual(['a', 'b', 'c', 'side']); // the longer chain first
    expect(() => graphOrder([node('x', ['y']), node('y', ['x'])])).toThrowError(/cycle/);
    expect(() => graphOrder([node('x', ['nope'])])).toThrowError(/reads 'nope', which is not a registered stage/);
  });
});
