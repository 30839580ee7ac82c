// The Node.js tooling (these tests, the browser tests, scripts/docker-smoke and the
// benchmark peers) runs on Debian 12's own Node.js, 18.20, which scripts/install-deps
// installs. A dependency that needs a newer Node.js refuses to run there (playwright-core
// 1.61+ does), although it runs fine on a developer's newer Node: these checks read the
// lockfiles, so they fail on any machine, whichever Node.js runs them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DEBIAN_12_NODE = [18, 20, 4];
const root = process.env.PARLEY_SOURCE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const projects = ['tests', 'bench/peers'];

function readJson(relative) {
  return JSON.parse(readFileSync(join(root, relative), 'utf8'));
}

// "18.20.4" -> [18, 20, 4]; missing parts are 0.
function version(text) {
  const parts = text.split('.').map((part) => Number.parseInt(part, 10));
  while (parts.length < 3) parts.push(0);
  return parts;
}

function atLeast(have, want) {
  for (let i = 0; i < 3; ++i) {
    if (have[i] !== want[i]) return have[i] > want[i];
  }
  return true;
}

// Whether Node.js `have` satisfies an engines range. Only the forms the lockfiles
// hold (">= X.Y.Z", "^X || >=Y", "*") are understood; anything else fails the test,
// so that a new form is looked at rather than passed.
function satisfies(have, range) {
  return range.split('||').some((alternative) => {
    const text = alternative.trim();
    if (text === '*' || text === '') return true;
    let match = /^>=\s*v?(\d+(?:\.\d+){0,2})$/.exec(text);
    if (match) return atLeast(have, version(match[1]));
    match = /^\^\s*v?(\d+(?:\.\d+){0,2})$/.exec(text);
    if (match) {
      const want = version(match[1]);
      return have[0] === want[0] && atLeast(have, want);
    }
    throw new Error(`engines range "${range}": form not understood by this test`);
  });
}

for (const project of projects) {
  test(`${project}: every locked package runs on Debian 12's Node.js ${DEBIAN_12_NODE.join('.')}`, () => {
    const lock = readJson(`${project}/package-lock.json`);
    const refusing = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = entry.engines?.node;
      if (range && !satisfies(DEBIAN_12_NODE, range)) refusing.push(`${path || project} (node ${range})`);
    }
    assert.deepEqual(refusing, [], 'these packages need a newer Node.js than Debian 12 has');
  });

  test(`${project}: package-lock.json matches package.json`, () => {
    const manifest = readJson(`${project}/package.json`);
    const lockRoot = readJson(`${project}/package-lock.json`).packages[''];
    for (const field of ['dependencies', 'devDependencies', 'engines']) {
      assert.deepEqual(lockRoot[field] ?? {}, manifest[field] ?? {}, `${field} differ: run npm install in ${project}`);
    }
  });
}

test('the Node.js running the tests is one the tests declare they support', () => {
  const range = readJson('tests/package.json').engines.node;
  assert.ok(satisfies(version(process.versions.node), range), `node ${process.versions.node} vs "${range}"`);
  assert.ok(satisfies(DEBIAN_12_NODE, range), `Debian 12's Node.js is outside "${range}"`);
});
