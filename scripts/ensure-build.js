// Keep dist/ in step with the sources, safely in every kind of copy:
// - a checkout (src/ present and TypeScript installed): build when the sources' content hash
//   differs from the one recorded by the last build (file times are not trusted: git and npm do
//   not preserve them);
// - an installed copy (no src/, or no devDependencies): never build and never touch dist/; its
//   dist/ came in the package. If it is missing, say so and fail.
// Used by npm start, npm test, npm run vtn/sim and the package's `prepare` and `prepack` scripts.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, '.build-hash');

/** What the build reads: a change to any of these needs a new dist/. */
const INPUTS = ['src', 'nodes', 'icons', 'scripts/build.js', 'scripts/locales.js', 'tsconfig.json'];

function hashInto(hash, p) {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) hashInto(hash, path.join(p, name));
    return;
  }
  hash.update(path.relative(root, p).split(path.sep).join('/'));
  hash.update('\0');
  hash.update(fs.readFileSync(p));
  hash.update('\0');
}

/** The sources' content hash (hex). */
function sourceHash() {
  const hash = crypto.createHash('sha256');
  for (const input of INPUTS) hashInto(hash, path.join(root, input));
  return hash.digest('hex');
}

/** True in a checkout that can build: the sources and the TypeScript compiler are there. */
function canBuild() {
  if (!fs.existsSync(path.join(root, 'src')) || !fs.existsSync(path.join(root, 'scripts', 'build.js')))
    return false;
  try {
    require.resolve('typescript/bin/tsc', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

function isBuilt() {
  return fs.existsSync(path.join(dist, 'src', 'index.js'));
}

function isFresh() {
  if (!isBuilt()) return false;
  try {
    return fs.readFileSync(stampFile, 'utf8').trim() === sourceHash();
  } catch {
    return false;
  }
}

/** Build when needed; exits the process with a clear message when nothing can be done. */
function ensureBuild() {
  if (!canBuild()) {
    if (isBuilt()) return;
    console.error(
      'dist/ is missing and this copy cannot build it (no src/ or no TypeScript): ' +
        'reinstall the package, or run `npm install` in a checkout',
    );
    process.exit(1);
  }
  if (isFresh()) return;
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

module.exports = { ensureBuild, sourceHash, canBuild, stampFile };
if (require.main === module) ensureBuild();
