// Message catalogs as Node-RED loads them: `locales/<lang>/<type>.json` beside each node's .js,
// one namespace per node set. Strings of a module in nodes/shared/ live once, beside it, in
// nodes/shared/locales/<lang>/<module>.json; the build merges them into the catalog of every node
// that uses the module (directly or through another shared module), so each shipped catalog is
// complete and no string has two homes. The catalog test uses the same functions.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const nodesDir = path.join(root, 'nodes');
const sharedDir = path.join(nodesDir, 'shared');

/** Relative imports of a TypeScript file (`import … from './x'`, `import type …` included). */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'|\brequire\('(\.{1,2}\/[^']+)'\)/g)) {
    found.push(path.resolve(path.dirname(file), `${m[1] ?? m[2]}.ts`));
  }
  return found.filter((f) => fs.existsSync(f));
}

/** The nodes/shared modules a node uses, directly or through each other (names without .ts). */
function sharedModulesOf(type) {
  const seen = new Set();
  const todo = fs
    .readdirSync(path.join(nodesDir, type))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(nodesDir, type, f));
  while (todo.length) {
    for (const dep of importsOf(todo.pop())) {
      if (path.dirname(dep) !== sharedDir || seen.has(dep)) continue;
      seen.add(dep);
      todo.push(dep);
    }
  }
  return [...seen].map((f) => path.basename(f, '.ts')).sort();
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${path.relative(root, file)}: ${err.message}`, { cause: err });
  }
}

/** The languages a node's own catalog exists in. */
function languagesOf(type) {
  const dir = path.join(nodesDir, type, 'locales');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((lang) => fs.existsSync(path.join(dir, lang, `${type}.json`)))
    .sort();
}

/** The shared catalogs a node's catalog gets in `lang`: [{module, file, catalog}]. */
function sharedCatalogsOf(type, lang) {
  return sharedModulesOf(type)
    .map((module) => ({ module, file: path.join(sharedDir, 'locales', lang, `${module}.json`) }))
    .filter((c) => fs.existsSync(c.file))
    .map((c) => ({ ...c, catalog: readJson(c.file) }));
}

/** A node's complete catalog in `lang`: its own sections plus those of the shared modules it uses. */
function catalogOf(type, lang) {
  const own = path.join(nodesDir, type, 'locales', lang, `${type}.json`);
  const merged = readJson(own);
  for (const { file, catalog } of sharedCatalogsOf(type, lang)) {
    for (const [section, messages] of Object.entries(catalog)) {
      if (section in merged) {
        throw new Error(
          `catalog section "${section}" of ${path.relative(root, file)} is also in ${type}'s catalog`,
        );
      }
      merged[section] = messages;
    }
  }
  return merged;
}

/**
 * Where a node's help in `lang` comes from: its own `locales/<lang>/<type>.html`, or else the help
 * template of a shared module it uses (`nodes/shared/locales/<lang>/<module>.html`), which several
 * nodes of one kind (the schedulers) share. Undefined when there is neither.
 */
function helpSourceOf(type, lang) {
  const own = path.join(nodesDir, type, 'locales', lang, `${type}.html`);
  if (fs.existsSync(own)) return own;
  const templates = sharedModulesOf(type)
    .map((module) => path.join(sharedDir, 'locales', lang, `${module}.html`))
    .filter((file) => fs.existsSync(file));
  if (templates.length > 1) throw new Error(`${type}: more than one shared help template in ${lang}`);
  return templates[0];
}

/**
 * A help template rendered for one type: its leading comment (notes for maintainers) dropped,
 * `{{type}}` replaced, and each part between `<!--if <type>-->` and `<!--/if-->` kept only for that
 * type (a marker alone on its line takes its line with it).
 */
function renderHelp(template, type) {
  const keep = (_all, only, body) => (only === type ? body : '');
  const html = template
    .replace(/^<!--[\s\S]*?-->\n/, '')
    .replace(/^[ \t]*<!--if ([\w-]+)-->\n([\s\S]*?)^[ \t]*<!--\/if-->\n/gm, keep)
    .replace(/<!--if ([\w-]+)-->([\s\S]*?)<!--\/if-->/g, keep)
    .replaceAll('{{type}}', type);
  if (/<!--\/?if\b|\{\{/.test(html)) throw new Error(`${type}: help template has an unclosed part`);
  return html;
}

/** A node's help in `lang` as it ships (see helpSourceOf), or undefined when it has none. */
function helpOf(type, lang) {
  const source = helpSourceOf(type, lang);
  if (!source) return undefined;
  const text = fs.readFileSync(source, 'utf8');
  return path.dirname(path.dirname(path.dirname(source))) === sharedDir ? renderHelp(text, type) : text;
}

/** Write a node's locales/: each message catalog completed, its help (own or rendered) beside it. */
function writeLocales(type, destLocalesDir) {
  const from = path.join(nodesDir, type, 'locales');
  for (const lang of fs.readdirSync(from)) {
    fs.mkdirSync(path.join(destLocalesDir, lang), { recursive: true });
    for (const file of fs.readdirSync(path.join(from, lang))) {
      const dest = path.join(destLocalesDir, lang, file);
      if (file === `${type}.json`)
        fs.writeFileSync(dest, `${JSON.stringify(catalogOf(type, lang), null, 2)}\n`);
      else fs.copyFileSync(path.join(from, lang, file), dest);
    }
    const help = helpOf(type, lang);
    if (help !== undefined) fs.writeFileSync(path.join(destLocalesDir, lang, `${type}.html`), help);
  }
}

module.exports = {
  catalogOf,
  helpOf,
  helpSourceOf,
  languagesOf,
  sharedModulesOf,
  sharedCatalogsOf,
  writeLocales,
  nodesDir,
  sharedDir,
};
