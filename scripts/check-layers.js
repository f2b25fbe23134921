#!/usr/bin/env node
// `npm run lint` (after Biome): checks the imports of the TypeScript sources against
// layers.config.js and prints each offending import with the rule it breaks.
//
//   node scripts/check-layers.js [root] [--config file]
//
// root defaults to the working directory; the config to layers.config.js beside this script's
// folder. Why not dependency-cruiser: it reads TypeScript only through the `typescript` package's
// JS compiler API, which TypeScript 7 (ours) no longer ships, so it cruises zero .ts files and
// reports success; through @swc/core, the release that runs on Node 20 cannot tell `import type`
// from a run-time import, and the rules depend on that. oxc-parser gives both, fast.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import { cyclicComponents, shortestCycle } from './lib/graph.js';

const SOURCE = /\.(ts|mts|cts|tsx)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);
const BUILTINS = new Set(builtinModules);

const started = performance.now();
const { root, configPath } = parseArgs(process.argv.slice(2));
const config = (await import(pathToFileURL(configPath).href)).default;
const coreSrc = resolve(root, config.core.src);
const coreDir = resolve(root, config.core.dir);
const layerNames = Object.keys(config.layers);
assertConfigNamesLayers();
const typeReach = typeOnlyReach(config);

/** @type {{ rule: string, file: string, line: number, text: string, why: string }[]} */
const violations = [];
/** @type {Map<string, Map<string, { file: string, line: number, text: string }>>} run-time edges between layers */
const layerEdges = new Map();
let fileCount = 0;
let importCount = 0;

for (const file of sourceFiles(coreSrc)) {
  fileCount++;
  checkCoreFile(file);
}
// A checker that finds no source passes everything: say so and fail instead.
if (fileCount === 0) {
  console.error(`check-layers: no TypeScript source under ${coreSrc}: nothing was checked`);
  process.exit(2);
}
for (const dir of config.publicEntryOnly) {
  for (const file of sourceFiles(resolve(root, dir))) {
    fileCount++;
    checkOutsideFile(file);
  }
}
checkFolderCycles();

const summary = `${fileCount} files, ${importCount} imports against ${shown(configPath)} in ${Math.round(performance.now() - started)}ms`;
if (violations.length === 0) {
  console.log(`check-layers: checked ${summary}. No violations.`);
} else {
  for (const v of violations) {
    console.error(`\n  ✖ ${v.rule}  ${v.file}${v.line ? `:${v.line}` : ''}${v.text ? `\n      ${v.text}` : ''}\n      ${v.why}`);
  }
  const rules = [...new Set(violations.map((v) => v.rule))].join(', ');
  console.error(`\ncheck-layers: ${violations.length} violation(s) of ${rules}; checked ${summary}.`);
  process.exitCode = 1;
}

function parseArgs(args) {
  let rootArg = '.';
  let configArg = join(dirname(fileURLToPath(import.meta.url)), '..', 'layers.config.js');
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') configArg = args[++i];
    else rootArg = args[i];
  }
  return { root: resolve(rootArg), configPath: resolve(configArg) };
}

function* sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) yield* sourceFiles(join(dir, entry.name));
    } else if (SOURCE.test(entry.name)) {
      yield join(dir, entry.name);
    }
  }
}

/** A name in the config that is no layer would silently allow or forbid nothing: refuse it. */
function assertConfigNamesLayers() {
  const named = [
    ...Object.values(config.layers).flatMap((allowed) => (allowed === '*' ? [] : allowed)),
    ...config.tiers.flat(),
    ...config.typeOnlyExceptions.flatMap((exception) => [exception.file.split('/')[0], ...exception.may]),
  ];
  const unknown = [...new Set(named.filter((name) => !layerNames.includes(name)))];
  if (unknown.length > 0) {
    console.error(`check-layers: ${shown(configPath)} names ${unknown.join(', ')}, which is no layer`);
    process.exit(2);
  }
}

/** Which layers each layer may see types of: everything it reaches at run time, transitively, and its tier. */
function typeOnlyReach({ layers, tiers }) {
  const reach = new Map();
  const visit = (layer, seen) => {
    const allowed = layers[layer] === '*' ? Object.keys(layers) : (layers[layer] ?? []);
    for (const next of allowed) {
      if (!seen.has(next)) {
        seen.add(next);
        visit(next, seen);
      }
    }
    return seen;
  };
  for (const layer of Object.keys(layers)) {
    const seen = visit(layer, new Set());
    for (const tier of tiers) if (tier.includes(layer)) for (const peer of tier) seen.add(peer);
    reach.set(layer, seen);
  }
  return reach;
}

/** The layer of a path inside core/src: its first folder, or the file's own name at the root. */
function layerOf(absPath) {
  const parts = relative(coreSrc, absPath).split(sep);
  if (parts.length === 1) return parts[0].replace(/\.(m|c)?(j|t)sx?$/, '.ts');
  return parts[0];
}

function display(layer) {
  return layer.includes('.') ? layer : `${layer}/`;
}

/**
 * Every module a file names, with whether tsc erases the reference. Type-only: `import type`,
 * `export type`, all names marked `type`, `import('x').T` in a type, `declare module 'x'`.
 */
function importsOf(file) {
  const source = readFileSync(file, 'utf8');
  const result = parseSync(file, source);
  if (result.errors.length > 0) {
    violations.push({ rule: 'parse', file: rel(file), line: 0, text: '', why: result.errors[0].message });
    return [];
  }
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineAt = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const found = [];
  const add = (node, specifier, typeOnly) => {
    const text = source.slice(node.start, node.end).split('\n')[0];
    found.push({ specifier, typeOnly, line: lineAt(node.start), text: text.length > 140 ? `${text.slice(0, 137)}...` : text });
  };
  const allTyped = (specifiers, key) => specifiers.length > 0 && specifiers.every((s) => s[key] === 'type');
  const literal = (node) => (node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined);

  walk(result.program, (node) => {
    switch (node.type) {
      case 'ImportDeclaration':
        add(node, node.source.value, node.importKind === 'type' || allTyped(node.specifiers, 'importKind'));
        break;
      case 'ExportNamedDeclaration':
        if (node.source) add(node, node.source.value, node.exportKind === 'type' || allTyped(node.specifiers, 'exportKind'));
        break;
      case 'ExportAllDeclaration':
        add(node, node.source.value, node.exportKind === 'type');
        break;
      case 'TSImportEqualsDeclaration':
        if (node.moduleReference.type === 'TSExternalModuleReference') {
          add(node, node.moduleReference.expression.value, node.importKind === 'type');
        }
        break;
      case 'ImportExpression':
        if (literal(node.source) !== undefined) add(node, literal(node.source), false);
        break;
      case 'CallExpression':
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && literal(node.arguments[0]) !== undefined) {
          add(node, literal(node.arguments[0]), false);
        }
        break;
      case 'TSImportType':
        if (literal(node.source) !== undefined) add(node, literal(node.source), true);
        break;
      case 'TSModuleDeclaration':
        if (literal(node.id) !== undefined) add(node, literal(node.id), true);
        break;
    }
  });
  importCount += found.length;
  return found;
}

function walk(node, visit) {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
  } else if (node !== null && typeof node === 'object') {
    if (typeof node.type === 'string') visit(node);
    for (const key in node) {
      if (key !== 'parent') {
        const child = node[key];
        if (child !== null && typeof child === 'object') walk(child, visit);
      }
    }
  }
}

function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isRelative(specifier) {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(packageOf(specifier));
}

/** A path as the reader's shell would name it: relative to the working directory when inside it. */
function shown(absPath) {
  const path = relative(process.cwd(), absPath);
  return path.startsWith('..') ? absPath : path;
}

function rel(absPath) {
  return relative(root, absPath).split(sep).join('/');
}

function checkCoreFile(file) {
  const from = layerOf(file);
  const fromRel = relative(coreSrc, file).split(sep).join('/');
  if (!layerNames.includes(from)) {
    violations.push({
      rule: 'unlayered',
      file: rel(file),
      line: 0,
      text: '',
      why: `${display(from)} is in no layer: place it in layers.config.js (and the drawing) before adding code to it`,
    });
  }
  for (const imp of importsOf(file)) {
    if (isBuiltin(imp.specifier)) continue;
    const where = { file: rel(file), line: imp.line, text: imp.text };

    const module = packageOf(imp.specifier);
    const confinedTo = config.confined[module];
    if (confinedTo && !confinedTo.some((allowed) => mayUseConfined(fromRel, allowed))) {
      violations.push({
        rule: 'confined-module',
        ...where,
        why: `${module} (types included) may be imported only in ${confinedTo.join(', ')}`,
      });
    }

    let target;
    if (isRelative(imp.specifier)) {
      const abs = resolve(dirname(file), imp.specifier);
      if (abs !== coreSrc && !abs.startsWith(coreSrc + sep)) {
        violations.push({
          rule: 'outside-src',
          ...where,
          why: `core imports only its own sources; ${rel(abs)} is outside ${config.core.src}`,
        });
        continue;
      }
      target = layerOf(abs);
    } else if (module === config.core.name) {
      target = 'index.ts'; // core importing itself by name gets the public entry, and all it loads
    } else {
      continue;
    }
    if (target === from || !layerNames.includes(from)) continue;
    if (!layerNames.includes(target)) {
      violations.push({ rule: 'unlayered', ...where, why: `${display(target)} is in no layer: place it in layers.config.js first` });
      continue;
    }
    if (imp.typeOnly) {
      const exception = config.typeOnlyExceptions.find((e) => e.file === fromRel && e.may.includes(target));
      if (!typeReach.get(from).has(target) && !exception) {
        violations.push({
          rule: 'layer-type',
          ...where,
          why: `${display(target)} is not below ${display(from)}: a type-only import from it may reach ${list([...typeReach.get(from)].filter((l) => l !== from))}`,
        });
      }
      continue;
    }
    const allowed = config.layers[from];
    if (allowed !== '*' && !allowed.includes(target)) {
      violations.push({
        rule: 'layer-runtime',
        ...where,
        why: `${display(from)} may import at run time ${allowed.length ? `only ${list(allowed)}` : 'nothing else in core (it is a leaf)'}; ${display(target)} is not one of them${typeReach.get(from).has(target) ? ` (\`import type\` would be allowed)` : ''}`,
      });
    }
    recordEdge(from, target, where);
  }
}

function mayUseConfined(fileRel, allowed) {
  if (allowed.endsWith('/')) return fileRel.startsWith(allowed);
  if (fileRel === allowed) return true;
  const stem = allowed.replace(/\.ts$/, '');
  return dirname(fileRel) === dirname(allowed) && fileRel.startsWith(`${stem}.`) && fileRel.endsWith('.test.ts');
}

function list(layers) {
  return [...layers].map(display).join(', ');
}

function recordEdge(from, to, where) {
  if (!layerEdges.has(from)) layerEdges.set(from, new Map());
  const edges = layerEdges.get(from);
  if (!edges.has(to)) edges.set(to, where);
}

function checkOutsideFile(file) {
  const { name } = config.core;
  for (const imp of importsOf(file)) {
    let reaches;
    if (imp.specifier.startsWith(`${name}/`)) {
      reaches = imp.specifier;
    } else if (isRelative(imp.specifier) || isAbsolute(imp.specifier)) {
      const abs = resolve(dirname(file), imp.specifier);
      if (abs === coreDir || abs.startsWith(coreDir + sep)) reaches = rel(abs);
    }
    if (reaches) {
      violations.push({
        rule: 'public-entry',
        file: rel(file),
        line: imp.line,
        text: imp.text,
        why: `use ${name} through its public entry ('${name}'), never a path into it (${reaches})`,
      });
    }
  }
}

/** Each group of folders that import each other at run time is a violation, named by its shortest cycle. */
function checkFolderCycles() {
  for (const component of cyclicComponents(layerEdges)) {
    const cycle = shortestCycle(layerEdges, component);
    const steps = cycle.slice(0, -1).map((layer, i) => {
      const edge = layerEdges.get(layer).get(cycle[i + 1]);
      return `${display(layer)} -> ${display(cycle[i + 1])}: ${edge.file}:${edge.line}  ${edge.text}`;
    });
    violations.push({
      rule: 'folder-cycle',
      file: cycle.map(display).join(' -> '),
      line: 0,
      text: steps.join('\n      '),
      why: 'folders import each other at run time: one of these imports has to go (or become `import type`)',
    });
  }
}
