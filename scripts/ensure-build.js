// Build when dist/ is missing or older than any source file (used by npm start and npm test).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');

function newest(dir) {
  let latest = 0;
  if (!fs.existsSync(dir)) return latest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

function ensureBuild() {
  const stamp = path.join(root, 'dist', 'src', 'index.js');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const sources = Math.max(
    newest(path.join(root, 'src')),
    newest(path.join(root, 'nodes')),
    newest(path.join(root, 'icons')),
  );
  if (built >= sources) return;
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

module.exports = { ensureBuild };
if (require.main === module) ensureBuild();
