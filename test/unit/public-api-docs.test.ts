import assert from 'assert';
import fs from 'fs';
import path from 'path';
import * as core from '../../src';

// The README's "Use without Node-RED" paragraph names the core's main functions: each must be a
// value the package's main export really has, so a rename in src/index.ts cannot leave it stale.

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has "## ${heading}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

describe('README: the core API it names is exported', () => {
  it('every name in "Use without Node-RED" is in the main export', () => {
    const text = section(readme, 'Use without Node-RED');
    const names = new Set<string>();
    // `name`, `name(...)` and names destructured from require('node-red-contrib-openadr3-hpwh').
    for (const m of text.matchAll(/`([A-Za-z_$][\w$]*)(?:\([^`]*\))?`/g)) names.add(m[1]);
    for (const m of text.matchAll(/const \{([^}]*)\} = require\('node-red-contrib-openadr3-hpwh'\)/g))
      for (const part of m[1].split(',')) names.add(part.trim().split(/[\s:]/)[0]);
    assert.ok(names.size >= 20, `found the names (${[...names].join(', ')})`);
    const missing = [...names].filter((n) => !(n in core));
    assert.deepStrictEqual(missing, [], 'named in the README but not exported by src/index.ts');
  });
});
