// ESLint rule `turnpike/no-import-cycle`: no module may reach itself through its imports,
// type-only imports included. import-x/no-cycle skips `import type` (a type-only cycle costs
// nothing at run time), but such a cycle still ties two layers together: the rule exists so
// that "dependencies point one way" (ARCHITECTURE.md) holds for types too.
//
// The module graph comes from the TypeScript program typed linting already built (no second
// parse): every `import`, `export … from`, `import('…')` and `import('…')` type of every
// source file of the project, resolved as tsc resolves them. Its strongly connected
// components are computed once per program; an import is reported when its target lies in
// the importing file's component, with one path that closes the cycle.
import path from 'node:path';
import ts from 'typescript';

/** ts.Program → { edges: file → Map<specifier, file>, component: file → Set<file> } */
const graphs = new WeakMap();

function specifiersOf(sf) {
  const out = [];
  const visit = (n) => {
    if (
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) &&
      n.moduleSpecifier !== undefined &&
      ts.isStringLiteral(n.moduleSpecifier)
    )
      out.push(n.moduleSpecifier.text);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
      const e = n.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push(e.text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal))
      out.push(n.argument.literal.text);
    else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments.length > 0 &&
      ts.isStringLiteralLike(n.arguments[0])
    )
      out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function buildGraph(program) {
  const options = program.getCompilerOptions();
  const cache = ts.createModuleResolutionCache(process.cwd(), (f) => f, options);
  const own = (f) => !f.includes(`${path.sep}node_modules${path.sep}`) && !f.includes('/node_modules/');
  const edges = new Map();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !own(sf.fileName)) continue;
    const targets = new Map();
    for (const spec of specifiersOf(sf)) {
      if (targets.has(spec)) continue;
      const r = ts.resolveModuleName(spec, sf.fileName, options, ts.sys, cache).resolvedModule;
      if (r !== undefined && !r.isExternalLibraryImport && own(r.resolvedFileName))
        targets.set(spec, path.normalize(r.resolvedFileName));
    }
    edges.set(path.normalize(sf.fileName), targets);
  }
  // Tarjan's strongly connected components, iterative (deep import chains must not overflow).
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const component = new Map();
  let next = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work = [[root, [...(edges.get(root)?.values() ?? [])], 0]];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, succ] = frame;
      if (frame[2] < succ.length) {
        const w = succ[frame[2]++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push([w, [...(edges.get(w)?.values() ?? [])], 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const members = new Set();
        let w;
        do {
          w = stack.pop();
          onStack.delete(w);
          members.add(w);
        } while (w !== v);
        for (const m of members) component.set(m, members);
      }
    }
  }
  return { edges, component };
}

/** The shortest import path from `from` back to `to` inside one component, as relative names. */
function cyclePath(graph, from, to, members) {
  const prev = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) break;
    for (const w of graph.edges.get(v)?.values() ?? []) {
      if (!members.has(w) || prev.has(w)) continue;
      prev.set(w, v);
      queue.push(w);
    }
  }
  const out = [];
  for (let v = to; v !== null && v !== undefined; v = prev.get(v)) out.unshift(path.relative(process.cwd(), v));
  return out;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between modules, type-only imports included.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{path}}. Move what both sides need into a module below them.' },
  },
  create(context) {
    const program = context.sourceCode.parserServices?.program;
    if (program === undefined || program === null) return {};
    let graph = graphs.get(program);
    if (graph === undefined) {
      graph = buildGraph(program);
      graphs.set(program, graph);
    }
    const file = path.normalize(context.physicalFilename);
    const members = graph.component.get(file);
    const targets = graph.edges.get(file);
    if (members === undefined || targets === undefined) return {};
    const selfLoop = [...targets.values()].includes(file);
    if (members.size < 2 && !selfLoop) return {}; // the common case: nothing to look at
    const check = (node, spec) => {
      const target = targets.get(spec);
      if (target === undefined || !members.has(target)) return;
      const route = [path.relative(process.cwd(), file), ...cyclePath(graph, target, file, members)];
      context.report({ node, messageId: 'cycle', data: { path: route.join(' → ') } });
    };
    const fromSource = (node) => {
      if (node.source !== null && node.source !== undefined && typeof node.source.value === 'string')
        check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression(node) {
        if (node.source.type === 'Literal' && typeof node.source.value === 'string')
          check(node.source, node.source.value);
      },
      TSImportType(node) {
        const arg = node.source ?? node.argument;
        const lit = arg?.type === 'TSLiteralType' ? arg.literal : arg;
        if (lit?.type === 'Literal' && typeof lit.value === 'string') check(lit, lit.value);
      },
      TSExternalModuleReference(node) {
        if (node.expression.type === 'Literal' && typeof node.expression.value === 'string')
          check(node.expression, node.expression.value);
      },
    };
  },
};
