/**
 * The pack's own TypeScript as the checks on its code read it (sizes, forbidden calls): the files
 * of its code folders, and each one parsed into a syntax tree.
 */
import fs from 'fs';
import path from 'path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');

/** The .ts files (declarations left out) below a folder of the repository, as sorted repo paths. */
export function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...tsFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** The code a maintainer owns: the core (src/) and the node adapters (nodes/). */
export const codeFiles = (): string[] => [...tsFiles('src'), ...tsFiles('nodes')];

/** A file's text by its repo path. */
export const sourceText = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');

/** A file's syntax tree, with parent links (for names and positions). */
export const parseSource = (rel: string): ts.SourceFile =>
  ts.createSourceFile(rel, sourceText(rel), ts.ScriptTarget.Latest, true);
