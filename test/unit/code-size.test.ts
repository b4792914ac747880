import assert from 'assert';
import ts from 'typescript';
import { codeFiles, parseSource, sourceText } from '../support/source-files';

// Size limits for the code a maintainer reads: no function in src/ or nodes/ longer than
// MAX_FUNCTION_LINES, no file in src/ longer than MAX_FILE_LINES. Long closures are where state
// hides; long files are where contracts lose their home. The allow-list below names what is over
// the limit today. It may only shrink: an entry that grew fails, and an entry that is now within
// the limit (or gone) fails too, so the list says exactly what is left to split.

const MAX_FUNCTION_LINES = 120;
const MAX_FILE_LINES = 500;
const FILE = '(file)';

interface Measure {
  path: string;
  name: string;
  lines: number;
}

/** Today's offenders: path, function name (or "(file)"), size in lines when listed. */
const ALLOWED: Measure[] = [];

function propertyName(name: ts.PropertyName | ts.BindingName, sf: ts.SourceFile): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)
    ? name.text
    : name.getText(sf);
}

/** A name a reader can find: its own, the variable or property it is assigned to, or its caller. */
function ownName(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return propertyName(node.name, sf);
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return propertyName(parent.name, sf);
  }
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    return parent.left.getText(sf);
  }
  if (ts.isExportAssignment(parent)) return 'export =';
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = parent.expression.getText(sf).replace(/\s+/g, '');
    return `${callee.length > 40 ? callee.slice(-40) : callee}(callback)`;
  }
  return '(anonymous)';
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** Every function with a body, named by its enclosing classes and functions ("outer > inner"). */
function measureFunctions(file: string): Measure[] {
  const sf = parseSource(file);
  const out: Measure[] = [];
  const line = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node, scope: string[]): void => {
    let inner = scope;
    if (ts.isClassLike(node)) {
      inner = [...scope, node.name ? node.name.text : '(class)'];
    } else if (isFunctionLike(node) && node.body) {
      const name = [...scope, ownName(node, sf)].join(' > ');
      out.push({ path: file, name, lines: line(node.getEnd()) - line(node.getStart(sf)) + 1 });
      inner = [...scope, ownName(node, sf)];
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(sf, []);
  return out;
}

function fileLines(file: string): number {
  const text = sourceText(file);
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function offenders(): Measure[] {
  const files = codeFiles();
  const out: Measure[] = [];
  for (const file of files) {
    if (file.startsWith('src/')) {
      const lines = fileLines(file);
      if (lines > MAX_FILE_LINES) out.push({ path: file, name: FILE, lines });
    }
    out.push(...measureFunctions(file).filter((m) => m.lines > MAX_FUNCTION_LINES));
  }
  return out;
}

const key = (m: Measure): string => `${m.path} :: ${m.name}`;

describe('unit: code size (functions ≤ 120 lines in src/ and nodes/, files ≤ 500 lines in src/)', () => {
  const found = offenders();
  const byKey = new Map(found.map((m) => [key(m), m]));

  before(() => {
    const listing = found.map((m) => `  ${m.lines.toString().padStart(5)}  ${key(m)}`).join('\n');
    console.log(`    over the limits today (${found.length}):\n${listing || '  (none)'}`);
  });

  it('has no two measures under one name (names in the allow-list are unambiguous)', () => {
    const seen = new Set<string>();
    const dupes = found.map(key).filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
    assert.deepStrictEqual(dupes, []);
  });

  it('every function and file over the limit is on the allow-list, and no entry grew', () => {
    const allowed = new Map(ALLOWED.map((m) => [key(m), m]));
    const problems: string[] = [];
    for (const m of found) {
      const entry = allowed.get(key(m));
      if (!entry)
        problems.push(
          `${key(m)} is ${m.lines} lines (limit ${m.name === FILE ? MAX_FILE_LINES : MAX_FUNCTION_LINES})`,
        );
      else if (m.lines > entry.lines) problems.push(`${key(m)} grew from ${entry.lines} to ${m.lines} lines`);
    }
    assert.deepStrictEqual(problems, []);
  });

  it('every allow-list entry is still over the limit (fixed ones are taken off the list)', () => {
    const stale = ALLOWED.filter((m) => !byKey.has(key(m))).map(
      (m) => `${key(m)} is within the limit now: remove it from the allow-list`,
    );
    assert.deepStrictEqual(stale, []);
  });
});
