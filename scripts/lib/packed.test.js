// What each workspace package would publish (`npm pack --dry-run`, after the build): no tests or
// test fakes, and every relative import of a published module resolves to a published file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** `from './x.js'`, `import './x.js'`, `import('./x.js')`, `require('./x.js')`: relative ones only. */
const IMPORT = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function packed(pkg) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: join(ROOT, 'packages', pkg),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out)[0].files.map((f) => f.path);
}

for (const pkg of ['core', 'cli', 'testing']) {
  test(`@warren/${pkg} publishes its modules and no test code`, () => {
    const files = packed(pkg);
    const set = new Set(files);
    assert.ok(set.has('dist/index.js') || set.has('dist/bin.js'), `${pkg}: no entry point in ${files.length} files`);
    assert.deepEqual(
      files.filter((f) => /\.(test|fakes)\.|tsbuildinfo/.test(f)),
      [],
      'test files in the package',
    );
    const unresolved = [];
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(join(ROOT, 'packages', pkg, file), 'utf8');
      for (const [, spec] of source.matchAll(IMPORT)) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (!set.has(target)) unresolved.push(`${file} imports ${spec}`);
      }
    }
    assert.deepEqual(unresolved, [], 'imports of files left out of the package');
  });
}
