/**
 * The palette: every node of the pack is in the "OpenADR 3" category with the colour of its
 * pipeline stage, as the table in ARCHITECTURE.md (section "Two layers") says.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { repoRoot } from '../support/node-helper';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};

/** `| stage | \`#RRGGBB\` | type, type |` rows → type → colour. */
function colourTable(): Map<string, string> {
  const doc = fs.readFileSync(path.join(repoRoot, 'ARCHITECTURE.md'), 'utf8');
  const table = new Map<string, string>();
  for (const m of doc.matchAll(/^\| [^|]+ \| `(#[0-9A-Fa-f]{6})` \| ([^|]+) \|$/gm)) {
    for (const type of m[2].split(',')) table.set(type.trim(), m[1].toUpperCase());
  }
  return table;
}

describe('nodes: palette category and stage colours', () => {
  const table = colourTable();

  for (const type of Object.keys(pkg['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(repoRoot, 'nodes', type, `${type}.html`), 'utf8');
    const category = html.match(/category:\s*'([^']+)'/)?.[1];
    if (category === 'config') continue;

    it(`${type} is in "OpenADR 3" with its stage's colour`, () => {
      assert.strictEqual(category, 'OpenADR 3');
      const colour = html.match(/color:\s*'(#[0-9A-Fa-f]{6})'/)?.[1]?.toUpperCase();
      assert.ok(table.has(type), `${type} is not in ARCHITECTURE.md's palette table`);
      assert.strictEqual(colour, table.get(type));
    });
  }

  it('the table names only nodes of the pack', () => {
    for (const type of table.keys()) assert.ok(type in pkg['node-red'].nodes, type);
  });
});
