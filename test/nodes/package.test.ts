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
  license: string;
  homepage: string;
  repository: { type: string; url: string };
  bugs: { url: string };
  files: string[];
  bin: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
  'node-red': { version: string; nodes: Record<string, string> };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const nodeTypes = Object.keys(pkg['node-red'].nodes);

describe('nodes: package.json and the node set', () => {
  it('declares itself as a node pack for what is tested: Node-RED 4.1 on Node 20 and Node-RED 5 on Node 24', () => {
    assert.strictEqual(pkg.name, 'node-red-contrib-openadr3-hpwh');
    for (const k of ['node-red', 'openadr', 'openadr3', 'cta-2045', 'demand-response', 'water-heater']) {
      assert.ok(pkg.keywords.includes(k), `keyword ${k}`);
    }
    assert.strictEqual(pkg['node-red'].version, '>=4.1.0');
    assert.strictEqual(pkg.engines.node, '>=20');
    assert.ok(!pkg.dependencies['node-red'], 'node-red is a devDependency only');
    // The checkout tests Node-RED 4.1; Node-RED 5 comes from scripts/test-runtime.js.
    assert.ok(pkg.devDependencies['node-red'].startsWith('~4.1'));
  });

  it('names its repository, issue tracker and home page (the Flow Library links them)', () => {
    const repo = 'https://github.com/openadr3-hpwh/node-red-contrib-openadr3-hpwh';
    assert.deepStrictEqual(pkg.repository, { type: 'git', url: `git+${repo}.git` });
    assert.strictEqual(pkg.bugs.url, `${repo}/issues`);
    assert.strictEqual(pkg.homepage, `${repo}#readme`);
  });

  it('ships only what exists and runs: every `files` entry is there, LICENSE and NOTICE included', () => {
    for (const entry of pkg.files) {
      assert.ok(fs.existsSync(path.join(repoRoot, entry)), `files lists ${entry}, which does not exist`);
    }
    for (const f of ['LICENSE', 'NOTICE']) assert.ok(pkg.files.includes(f), `${f} ships`);
    assert.strictEqual(pkg.license, 'Apache-2.0');
    assert.match(
      fs.readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'),
      /Apache License\s+Version 2\.0, January 2004/,
    );
    assert.match(fs.readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'), /END OF TERMS AND CONDITIONS/);
    // The OpenADR specification files ship and carry their owner's notice.
    assert.match(fs.readFileSync(path.join(repoRoot, 'NOTICE'), 'utf8'), /OpenADR Alliance/);
    assert.ok(pkg.files.includes('spec/'));
    // The scripts that ship run without devDependencies (tested from an installed copy in
    // test/e2e/install.e2e.test.ts); the others (build, tests, demo, benchmarks) stay in the checkout.
    assert.deepStrictEqual(pkg.files.filter((f) => f.startsWith('scripts/')).sort(), [
      'scripts/ensure-build.js',
      'scripts/sim.js',
      'scripts/vtn.js',
    ]);
  });

  it('builds dist/ on prepack and prepare (a no-op where it cannot build), with bin entries into dist/', () => {
    assert.strictEqual(pkg.scripts.prepack, 'node scripts/ensure-build.js');
    assert.strictEqual(pkg.scripts.prepare, 'node scripts/ensure-build.js');
    assert.deepStrictEqual(pkg.bin, {
      'openadr3-vtn': 'dist/src/cli/vtn.js',
      'hpwh-simulator': 'dist/src/cli/simulator.js',
    });
    for (const file of Object.values(pkg.bin)) {
      const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
      assert.ok(text.startsWith('#!/usr/bin/env node\n'), `${file} starts with a shebang`);
    }
  });

  it('approves the install scripts its native dependency needs (npm 11 allowScripts)', () => {
    assert.strictEqual(pkg.allowScripts['better-sqlite3'], true);
    for (const name of Object.keys(pkg.allowScripts)) {
      assert.ok(
        pkg.dependencies[name] ||
          pkg.devDependencies[name] ||
          fs.existsSync(path.join(repoRoot, 'node_modules', name)),
        `allowScripts names ${name}, which is not installed`,
      );
    }
  });

  it('lists at least one node, each named with the pack prefix', () => {
    assert.ok(nodeTypes.length > 0, 'no nodes listed in package.json node-red.nodes');
    for (const type of nodeTypes) assert.match(type, /^(openadr3|hpwh|cta2045|olivine)-/);
  });

  for (const type of nodeTypes) {
    describe(type, () => {
      const entry = path.join(repoRoot, pkg['node-red'].nodes[type]);
      const dir = path.dirname(entry);
      let editor = '';
      /**
       * The editor definition as the browser gets it: the .html, plus the scripts it loads from
       * the node's admin endpoints (the schedulers share one served by the runtime).
       */
      before(async () => {
        editor = fs.readFileSync(path.join(dir, `${type}.html`), 'utf8');
        const sources = [...editor.matchAll(/<script\s+src="([^"]+)"/g)].map((m) => m[1]);
        if (!sources.length) return;
        await helper.startServer();
        try {
          await helper.load(builtNode(type), []);
          const admin = helper.request() as { get(p: string): Promise<{ status: number; text: string }> };
          for (const src of sources) {
            const res = await admin.get(`/${src}`);
            assert.strictEqual(res.status, 200, `the editor's script ${src} is served`);
            editor += `\n${res.text}`;
          }
        } finally {
          await helper.unload();
          await helper.stopServer();
        }
      });
      const html = () => editor;

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

      it('registers its type as the Flow Library reads it: a string literal and an object literal with category, color and icon inline', () => {
        const file = fs.readFileSync(path.join(dir, `${type}.html`), 'utf8');
        const call = new RegExp(
          `RED\\.nodes\\.registerType\\(\\s*['"]${type}['"]\\s*,\\s*\\{([\\s\\S]*?)\\n\\s*\\}\\s*\\)`,
        ).exec(file);
        assert.ok(call, `${type}.html calls RED.nodes.registerType('${type}', { … })`);
        // Config nodes have no palette entry, so no colour or icon of their own.
        const isConfig = /\n\s*category\s*:\s*['"]config['"]/.test(call![1]);
        for (const key of isConfig ? ['category'] : ['category', 'color', 'icon'])
          assert.match(
            call![1],
            new RegExp(`\\n\\s*${key}\\s*:\\s*['"]`),
            `${key} is a literal in the definition`,
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
