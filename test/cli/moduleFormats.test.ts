/**
 * `warren start` on apps built the way a new team builds them: a package of its own (under the
 * OS temp dir) that depends on @warren/core, compiled by tsc, as ESM ("type": "module") and as
 * CommonJS (npm's default: no "type"). The CommonJS app reaches the ESM-only @warren/core through
 * Node's require(esm) (Node 20.19+).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BrokerAdmin, rabbitmqctl, Tally, uniqueName, waitFor } from '@warren/testing';
import { spawnWarren, watchStdout } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const run = promisify(execFile);

interface AppKind {
  title: string;
  /** package.json "type"; absent means CommonJS. */
  type?: 'module';
  module: 'nodenext' | 'commonjs';
  exportAs: 'default' | 'app';
}

const KINDS: AppKind[] = [
  { title: 'ESM ("type": "module", module nodenext), export default', type: 'module', module: 'nodenext', exportAs: 'default' },
  { title: 'CommonJS (no "type", module commonjs), export default', module: 'commonjs', exportAs: 'default' },
  { title: 'CommonJS (no "type", module nodenext), export const app', module: 'nodenext', exportAs: 'app' },
];

const APP_SOURCE = (exportAs: AppKind['exportAs']): string => `import 'reflect-metadata';
import { inject } from 'inversify';
import { Consumer, defineApp, LOGGER, type Logger, Worker } from '@warren/core';

@Consumer({ queue: process.env.APP_QUEUE ?? 'unset', prefetch: 10 })
export class EchoWorker extends Worker<{ id: string }> {
  constructor(@inject(LOGGER) private readonly log: Logger) {
    super();
  }

  async handle(order: { id: string }): Promise<void> {
    this.log.debug({ id: order.id }, 'handled');
    process.stdout.write(\`handled \${order.id}\\n\`);
  }
}

${exportAs === 'default' ? 'export default' : 'export const app ='} defineApp({ name: process.env.APP_QUEUE, consumers: [EchoWorker] });
`;

/** A package in a temp dir, its dependencies linked from this workspace as an install would place them. */
function writeAppPackage(kind: AppKind): string {
  const dir = mkdtempSync(join(tmpdir(), 'warren-app-'));
  const link = (name: string, target: string): void => {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(target, join(dir, 'node_modules', name), 'dir');
  };
  link('@warren/core', join(ROOT, 'packages/core'));
  for (const dep of ['inversify', 'reflect-metadata', '@types/node']) link(dep, join(ROOT, 'node_modules', dep));
  const pkg = {
    name: 'orders-app',
    version: '1.0.0',
    private: true,
    ...(kind.type ? { type: kind.type } : {}),
    dependencies: { '@warren/core': '*' },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  const compilerOptions = {
    target: 'ES2022',
    module: kind.module,
    rootDir: 'src',
    outDir: 'dist',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions }, null, 2));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/app.ts'), APP_SOURCE(kind.exportAs));
  return dir;
}

const handledIds = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('handled '))
    .map((l) => l.slice('handled '.length));

describe('warren start on an app built by tsc', () => {
  let admin: BrokerAdmin;
  before(async () => {
    admin = await BrokerAdmin.open();
  });
  after(async () => {
    await admin.cleanup();
    await waitFor(
      'no app connections left',
      async () => !(await rabbitmqctl('list_connections', 'client_properties')).includes('t.fmt.'),
      10_000,
      200,
    );
  });

  for (const kind of KINDS) {
    it(`${kind.title}: every message handled exactly once, SIGTERM exits 0`, async () => {
      const dir = writeAppPackage(kind);
      const queue = uniqueName('fmt');
      admin.trackQueue(queue);
      const ids = Array.from({ length: 100 }, (_, i) => `${kind.module}-${kind.exportAs}-${i}`);
      try {
        const built = await run(TSC, ['-p', dir]).catch((e: { stdout?: string }) => assert.fail(`tsc failed:\n${e.stdout}`));
        assert.equal(built.stdout, '', 'tsc reports nothing');
        const emitted = readFileSync(join(dir, 'dist/app.js'), 'utf8');
        assert.equal(emitted.includes('require("@warren/core")'), kind.type === undefined, 'CommonJS output exactly when "type" is absent');
        const { child, exited } = spawnWarren(['start', './dist/app.js'], { APP_QUEUE: queue }, dir);
        const stdout = watchStdout(child);
        try {
          await stdout.until('the app to run', (text) => text.includes('"msg":"warren app running"'));
          await admin.sendMany(
            queue,
            ids.map((id) => ({ id })),
          );
          await stdout.until(`${ids.length} handled ids`, (text) => new Set(handledIds(text)).size === ids.length);
          child.kill('SIGTERM');
          const result = await exited;
          assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
          assert.equal(result.stderr, '');
          const tally = new Tally();
          for (const id of handledIds(result.stdout)) tally.add(id);
          assert.deepEqual(tally.missing(ids), []);
          assert.equal(tally.duplicates(), 0);
          assert.equal(tally.total, ids.length);
          assert.equal(await admin.depth(queue), 0, 'nothing left in the queue');
        } finally {
          child.kill('SIGKILL');
        }
        for (const q of [queue, `${queue}.dlq`]) {
          await admin.channel.deleteQueue(q);
          assert.equal(await admin.queueExists(q), false, `${q} deleted`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a module without an app: exit 2 and one line naming what it does export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-app-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "name": "not-an-app", "private": true }');
      // What tsc emits for `export const port = 8080; export default { consumers: [] }` (defineApp forgotten).
      writeFileSync(
        join(dir, 'app.js'),
        '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.port = 8080;\nexports.default = { consumers: [] };\n',
      );
      writeFileSync(join(dir, 'app.mjs'), 'export class OrdersWorker {}\n');
      const cjs = await spawnWarren(['start', './app.js'], {}, dir).exited;
      assert.equal(cjs.code, 2);
      assert.equal(
        cjs.stderr,
        'warren: ./app.js exports no Warren app: found port (a number), default (an object with keys: consumers, not made with defineApp()); ' +
          'expected `export default defineApp({ consumers: [...] })` or `export const app = defineApp(...)` from @warren/core\n',
      );
      const esm = await spawnWarren(['start', './app.mjs'], {}, dir).exited;
      assert.equal(esm.code, 2);
      assert.match(esm.stderr, /^warren: \.\/app\.mjs exports no Warren app: found OrdersWorker \(class OrdersWorker\); expected .*\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
