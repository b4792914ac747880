/**
 * What the Node-RED flow library's scorecard checks, checked offline: package.json metadata,
 * and for every node listed: compiled entry, editor file, help text, icon, palette category,
 * a configVersion default, and that the module loads in a real runtime.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { builtNode, helper, repoRoot } from '../support/node-helper';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  keywords: string[];
  engines: { node: string };
  'node-red': { version: string; nodes: Record<string, string> };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const nodeTypes = Object.keys(pkg['node-red'].nodes);

describe('nodes: package.json and the node set', () => {
  it('declares itself as a Node-RED 4 node pack for Node 20+', () => {
    assert.strictEqual(pkg.name, 'node-red-contrib-openadr3-hpwh');
    for (const k of ['node-red', 'openadr', 'openadr3', 'cta-2045', 'demand-response', 'water-heater']) {
      assert.ok(pkg.keywords.includes(k), `keyword ${k}`);
    }
    assert.strictEqual(pkg['node-red'].version, '>=4.0.0');
    assert.strictEqual(pkg.engines.node, '>=20');
    assert.ok(!pkg.dependencies['node-red'], 'node-red is a devDependency only');
    assert.ok(pkg.devDependencies['node-red'].startsWith('~4.1'));
  });

  it('lists at least one node, each named with the pack prefix', () => {
    assert.ok(nodeTypes.length > 0, 'no nodes listed in package.json node-red.nodes');
    for (const type of nodeTypes) assert.match(type, /^(openadr3|hpwh|cta2045|olivine)-/);
  });

  for (const type of nodeTypes) {
    describe(type, () => {
      const entry = path.join(repoRoot, pkg['node-red'].nodes[type]);
      const dir = path.dirname(entry);
      const html = () => fs.readFileSync(path.join(dir, `${type}.html`), 'utf8');

      it('is built with its editor, help text and icon beside it', () => {
        assert.strictEqual(entry, path.join(repoRoot, 'dist', 'nodes', type, `${type}.js`));
        assert.ok(fs.existsSync(entry), `${entry} missing (npm run build)`);
        const help = path.join(dir, 'locales', 'en-US', `${type}.html`);
        assert.ok(fs.existsSync(help) || /data-help-name/.test(html()), `help text for ${type}`);
        const icon = /icon\s*:\s*['"]([^'"]+)['"]/.exec(html())?.[1];
        assert.ok(icon, 'the editor names an icon');
        assert.ok(
          fs.existsSync(path.join(dir, 'icons', icon!)) || /^(font-awesome|node-red)\//.test(icon!),
          `icon ${icon} is shipped`,
        );
      });

      it('sits in the "OpenADR 3" palette category (or config) and has a configVersion default', () => {
        assert.match(html(), /category\s*:\s*['"](OpenADR 3|config)['"]/);
        assert.match(html(), /configVersion\s*:\s*\{\s*value\s*:\s*\d+/);
      });

      it('loads in the Node-RED runtime', async () => {
        await helper.load(builtNode(type), []);
        await helper.unload();
      });
    });
  }
});
