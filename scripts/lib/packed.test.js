// What each workspace package would publish (`npm pack --dry-run`, after the build): its entry
// points, no tests or test fakes, no module left over from a deleted source, every relative import
// of a published module or type declaration resolving inside the package, and source maps whose
// sources are published with them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** `from './x.js'`, `import './x.js'`, `import('./x.js')`, `require('./x.js')`: relative ones only. */
const IMPORT = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const TEST_CODE = /\.(test|fakes)\.|tsbuildinfo/;

function packed(dir) {
  try {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    return JSON.parse(out)[0].files.map((f) => f.path);
  } catch (error) {
    throw new Error(`npm pack --dry-run in ${dir} failed: ${error.stderr ?? error.message}`);
  }
}

/** Every file package.json points at: main, types, bin, and each exports condition. */
function entryPoints(pkg) {
  const out = [pkg.main, pkg.types];
  if (typeof pkg.bin === 'string') out.push(pkg.bin);
  else out.push(...Object.values(pkg.bin ?? {}));
  const walk = (v) => (typeof v === 'string' ? out.push(v) : Object.values(v ?? {}).forEach(walk));
  walk(pkg.exports);
  return out.filter((p) => typeof p === 'string').map((p) => posix.normalize(p));
}

for (const name of ['core', 'cli', 'testing']) {
  test(`@warren/${name} publishes its modules and no test code`, () => {
    const dir = join(ROOT, 'packages', name);
    const files = packed(dir);
    const set = new Set(files);
    const read = (file) => readFileSync(join(dir, file), 'utf8');
    const pkg = JSON.parse(read('package.json'));
    assert.deepEqual(
      entryPoints(pkg).filter((p) => !set.has(p)),
      [],
      'entry points in package.json that are not published',
    );
    assert.deepEqual(
      files.filter((f) => TEST_CODE.test(f)),
      [],
      'test files in the package',
    );
    // dist/a/b.js comes from src/a/b.ts: a module without its source is a leftover of a deleted or renamed one.
    const built = files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'));
    assert.deepEqual(
      built.filter((f) => !set.has(`src/${f.slice(5, -3)}.ts`)),
      [],
      'modules without a source in src/ (a stale build: rebuild from clean)',
    );
    const unresolved = [];
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      for (const [, spec] of read(file).matchAll(IMPORT)) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        // A declaration's './x.js' is typed by './x.d.ts'.
        const ok = set.has(target) || (file.endsWith('.d.ts') && set.has(target.replace(/\.js$/, '.d.ts')));
        if (!ok) unresolved.push(`${file} imports ${spec}`);
      }
    }
    assert.deepEqual(unresolved, [], 'imports of files left out of the package');
    const unmapped = [];
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      for (const source of JSON.parse(read(map)).sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), source));
        if (!set.has(target)) unmapped.push(`${map} maps ${source}`);
      }
    }
    assert.deepEqual(unmapped, [], 'source maps whose sources are not published');
  });
}
