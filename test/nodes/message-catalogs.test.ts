/**
 * The message catalogs and help of every node, checked offline: English and German have the same
 * keys and placeholders, every key the code and editors use exists, no key is left unused, the
 * help is translated section for section, and no user-facing text says "seed". The catalogs are
 * read as the build ships them (scripts/locales.js merges the shared modules' strings).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { repoRoot } from '../support/node-helper';

interface Locales {
  catalogOf(type: string, lang: string): Catalog;
  languagesOf(type: string): string[];
  sharedModulesOf(type: string): string[];
  sharedCatalogsOf(type: string, lang: string): Array<{ module: string; file: string; catalog: Catalog }>;
  helpSourceOf(type: string, lang: string): string | undefined;
  helpOf(type: string, lang: string): string | undefined;
  nodesDir: string;
  sharedDir: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const locales = require('../../scripts/locales') as Locales;

type Catalog = { [key: string]: string | Catalog };

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};
const nodeTypes = Object.keys(pkg['node-red'].nodes);
const LANGUAGES = ['de', 'en-US'];

/** `{a: {b: 'x'}}` → `{'a.b': 'x'}`; a value that is not a string or object is an error. */
function flatten(catalog: Catalog, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(full, value);
    else if (value && typeof value === 'object') for (const [k, v] of flatten(value, full)) out.set(k, v);
    else throw new Error(`${full}: ${JSON.stringify(value)} is neither a message nor a group`);
  }
  return out;
}

const placeholders = (message: string): string[] =>
  [...message.matchAll(/__(\w+)__/g)].map((m) => m[1]).sort();

/** Every catalog section (a node's type, or a shared module's section such as "scheduler"). */
const allSections = new Set(
  nodeTypes.flatMap((type) => LANGUAGES.flatMap((lang) => Object.keys(locales.catalogOf(type, lang)))),
);

/**
 * Keys a source file uses: first arguments of _( / t(, string literals of the form
 * "<section>.<group>.<key>" (keys handed to a helper or picked by a condition), and data-i18n
 * attributes (minus [attr] prefixes). Keys are never assembled from pieces, so all are found.
 */
function keysUsedIn(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const keys = [...text.matchAll(/(?:\b_|\bt)\(\s*['"`]([\w.:/-]+)['"`]/g)].map((m) => m[1]);
  for (const m of text.matchAll(/['"`]([\w-]+)(\.[\w-]+){2,}['"`]/g)) {
    if (allSections.has(m[1])) keys.push(m[0].slice(1, -1));
  }
  for (const m of text.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of m[1].split(';')) keys.push(part.replace(/^\[[^\]]+\]/, ''));
  }
  return keys;
}

/** A used key exists as a message, or as a plural (`key_one`, `key_other`). */
const has = (messages: Map<string, string>, key: string): boolean =>
  messages.has(key) || messages.has(`${key}_other`);

const nodeFiles = (type: string): string[] =>
  fs
    .readdirSync(path.join(locales.nodesDir, type))
    .filter((f) => f.endsWith('.ts') || f.endsWith('.html'))
    .map((f) => path.join(locales.nodesDir, type, f));

const sharedFile = (module: string): string => path.join(locales.sharedDir, `${module}.ts`);

/** Node-RED's own editor catalogs (for keys such as node-red:common.label.name). */
function nodeRedCatalog(namespace: string): Map<string, string> {
  const files: Record<string, string> = {
    'node-red': 'node_modules/@node-red/nodes/locales/en-US/messages.json',
    editor: 'node_modules/@node-red/editor-client/locales/en-US/editor.json',
  };
  return flatten(JSON.parse(fs.readFileSync(path.join(repoRoot, files[namespace]), 'utf8')) as Catalog);
}

describe('nodes: message catalogs and help (en-US and de)', () => {
  it('every node ships a catalog and a help file in English and German', () => {
    for (const type of nodeTypes) {
      assert.deepStrictEqual(locales.languagesOf(type), LANGUAGES, `${type}: catalog languages`);
      for (const lang of LANGUAGES) {
        // Its own help file, or a shared template the build renders for it (the schedulers).
        const help = locales.helpSourceOf(type, lang) ?? '';
        assert.ok(fs.existsSync(help), `${type}: no ${lang} help`);
      }
    }
  });

  for (const type of nodeTypes) {
    describe(type, () => {
      const en = flatten(locales.catalogOf(type, 'en-US'));
      const de = flatten(locales.catalogOf(type, 'de'));

      it('German has exactly the English keys, each with the same placeholders and some text', () => {
        assert.deepStrictEqual([...de.keys()].sort(), [...en.keys()].sort());
        for (const [key, message] of en) {
          assert.ok(message.trim(), `${type} en-US ${key} is empty`);
          assert.ok(de.get(key)!.trim(), `${type} de ${key} is empty`);
          assert.deepStrictEqual(
            placeholders(de.get(key)!),
            placeholders(message),
            `${type} ${key}: placeholders`,
          );
        }
      });

      it('every key its runtime code, editor and shared modules use is in its catalog', () => {
        const files = [...nodeFiles(type), ...locales.sharedModulesOf(type).map(sharedFile)];
        const missing: string[] = [];
        for (const file of files) {
          for (const key of keysUsedIn(file)) {
            const [namespace, inner] = key.includes(':') ? key.split(':') : [undefined, key];
            const catalog = namespace ? nodeRedCatalog(namespace) : en;
            if (!has(catalog, inner)) missing.push(`${path.relative(repoRoot, file)}: ${key}`);
          }
        }
        assert.deepStrictEqual(missing, []);
      });

      it('its own section is named after it, and nothing in the catalog says "seed"', () => {
        const own = JSON.parse(
          fs.readFileSync(path.join(locales.nodesDir, type, 'locales', 'en-US', `${type}.json`), 'utf8'),
        ) as Catalog;
        assert.deepStrictEqual(Object.keys(own), [type]);
        for (const [key, message] of [...en, ...de]) assert.doesNotMatch(message, /\bseed/i, key);
      });

      it('the editor registers its type with a string literal and uses only translatable keys', () => {
        const html = fs.readFileSync(path.join(locales.nodesDir, type, `${type}.html`), 'utf8');
        const calls = [...html.matchAll(/RED\.nodes\.registerType\(\s*([^,]+),/g)].map((m) => m[1].trim());
        assert.deepStrictEqual(calls, [`'${type}'`]);
        assert.match(html, new RegExp(`data-template-name="${type}"`));
        // RED._ in an editor resolves in the editor's namespace, not the node's: use this._ / node._.
        const sections = Object.keys(locales.catalogOf(type, 'en-US'));
        for (const m of html.matchAll(/RED\._\(\s*['"]([\w-]+)\./g)) {
          assert.ok(!sections.includes(m[1]), `${type}.html calls RED._ with its own key ${m[0]}`);
        }
      });

      it('the German help has the English help’s sections, properties and optional marks', () => {
        const read = (lang: string) => locales.helpOf(type, lang) ?? '';
        const shape = (html: string) => ({
          helpName: html.match(/data-help-name="([^"]+)"/)?.[1],
          sections: (html.match(/<h3>/g) ?? []).length,
          properties: (html.match(/<dt[ >]/g) ?? []).length,
          optional: (html.match(/<dt class="optional">/g) ?? []).length,
          types: [...html.matchAll(/<span class="property-type">([^<]+)<\/span>/g)].map((m) => m[1]),
          code: (html.match(/<code>/g) ?? []).length,
        });
        const en = shape(read('en-US'));
        const de = shape(read('de'));
        assert.strictEqual(en.helpName, type);
        assert.ok(en.sections >= 2, `${type}: help has sections`);
        assert.deepStrictEqual({ ...de, code: undefined }, { ...en, code: undefined });
        // Code samples stay code samples (a translation may add or merge one or two).
        assert.ok(Math.abs(de.code - en.code) <= 2, `${type}: <code> count en ${en.code}, de ${de.code}`);
        for (const lang of LANGUAGES) assert.doesNotMatch(read(lang), /\bseed/i, `${type} ${lang} help`);
      });
    });
  }

  it('every key in a catalog is used by some node, editor or shared module', () => {
    const used = new Set<string>();
    for (const type of nodeTypes) {
      for (const file of [...nodeFiles(type), ...locales.sharedModulesOf(type).map(sharedFile)]) {
        for (const key of keysUsedIn(file)) used.add(key);
      }
    }
    const unused: string[] = [];
    for (const type of nodeTypes) {
      for (const key of flatten(locales.catalogOf(type, 'en-US')).keys()) {
        if (!used.has(key) && !used.has(key.replace(/_(one|other)$/, ''))) unused.push(`${type}: ${key}`);
      }
    }
    assert.deepStrictEqual([...new Set(unused)], []);
  });

  it('a shared module’s strings are in a catalog of their own, in both languages', () => {
    for (const type of nodeTypes) {
      for (const module of locales.sharedModulesOf(type)) {
        const keys = keysUsedIn(sharedFile(module)).filter((k) => !k.includes(':'));
        if (!keys.length) continue;
        const shared = locales.sharedCatalogsOf(type, 'en-US').find((c) => c.module === module);
        assert.ok(shared, `nodes/shared/${module}.ts uses keys but has no locales/en-US/${module}.json`);
        const messages = flatten(shared.catalog);
        for (const key of keys) assert.ok(has(messages, key), `nodes/shared/${module}.ts: ${key}`);
        assert.ok(
          locales.sharedCatalogsOf(type, 'de').some((c) => c.module === module),
          `no locales/de/${module}.json`,
        );
      }
    }
  });

  it('examples shown in Import ▸ Examples do not say "seed"', () => {
    const dir = path.join(repoRoot, 'examples');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      assert.doesNotMatch(fs.readFileSync(path.join(dir, file), 'utf8'), /\bseed/i, file);
    }
  });
});
