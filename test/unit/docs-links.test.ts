/**
 * The documentation's links work where it is read. The README is shown on npm and in the Node-RED
 * Flow Library, where a relative link or image has nothing to resolve against, so every link and
 * image in it is absolute. Everything else (docs/, ARCHITECTURE.md, CHANGELOG.md) is read in the
 * repository, so its relative links must name files that exist and, for a `#fragment`, a heading
 * that exists in the target (GitHub's heading anchors).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');

interface Link {
  target: string;
  line: number;
}

/** Markdown without fenced code blocks and inline code (links there are examples, not links). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** Inline links and images: `[text](target "title")`, `![alt](target)`. */
function linksIn(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: m[1], line: i + 1 });
    }
  });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!m) continue;
    const text = m[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase();
    const base = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const isAbsolute = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

function read(rel: string): string {
  return fs.readFileSync(path.join(repoRoot, rel), 'utf8');
}

const repoDocs = [
  'ARCHITECTURE.md',
  'CHANGELOG.md',
  ...fs
    .readdirSync(path.join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((rel) => fs.existsSync(path.join(repoRoot, rel)));

describe('documentation links', () => {
  it('the README links only absolute URLs (npm and the Flow Library have no repository to resolve against)', () => {
    const readme = read('README.md');
    const anchors = anchorsOf(readme);
    const links = linksIn(readme);
    assert.ok(links.length > 0, 'no links found in README.md');
    const bad = links.filter((l) =>
      l.target.startsWith('#') ? !anchors.has(decodeURIComponent(l.target.slice(1))) : !isAbsolute(l.target),
    );
    assert.deepStrictEqual(
      bad.map((l) => `README.md:${l.line} ${l.target}`),
      [],
      'README links must be absolute (https://github.com/…/blob/main/… or raw.githubusercontent.com for images)',
    );
  });

  it("the README's links into this repository name files that exist on the branch", () => {
    const repo =
      /^https:\/\/(?:github\.com\/openadr3-hpwh\/node-red-contrib-openadr3-hpwh\/blob\/main|raw\.githubusercontent\.com\/openadr3-hpwh\/node-red-contrib-openadr3-hpwh\/main)\/([^#?]+)(?:#(.*))?$/;
    const problems: string[] = [];
    for (const { target, line } of linksIn(read('README.md'))) {
      const m = target.match(repo);
      if (!m) continue;
      const file = decodeURI(m[1]);
      if (!fs.existsSync(path.join(repoRoot, file)))
        problems.push(`README.md:${line} ${target}: no file ${file}`);
      else if (m[2] && file.endsWith('.md') && !anchorsOf(read(file)).has(decodeURIComponent(m[2])))
        problems.push(`README.md:${line} ${target}: no heading #${m[2]} in ${file}`);
    }
    assert.deepStrictEqual(problems, []);
  });

  for (const doc of repoDocs) {
    it(`${doc}: relative links name existing files and headings`, () => {
      const problems: string[] = [];
      for (const { target, line } of linksIn(read(doc))) {
        if (isAbsolute(target)) continue;
        const [file, fragment] = target.split('#', 2);
        const resolved = file ? path.normalize(path.join(path.dirname(doc), decodeURI(file))) : doc;
        const where = `${doc}:${line} ${target}`;
        if (!fs.existsSync(path.join(repoRoot, resolved))) {
          problems.push(`${where}: no file ${resolved}`);
          continue;
        }
        if (
          fragment &&
          resolved.endsWith('.md') &&
          !anchorsOf(read(resolved)).has(decodeURIComponent(fragment))
        )
          problems.push(`${where}: no heading #${fragment} in ${resolved}`);
      }
      assert.deepStrictEqual(problems, []);
    });
  }

  it('finds the anchors GitHub makes', () => {
    const anchors = anchorsOf(
      '# Running the VTN\n## Several VTN processes on PostgreSQL (`bench:vtn-scale`)\n' +
        '## Security: who may do what — and bounds\n```\n# not a heading\n```\n## Running the VTN\n',
    );
    assert.deepStrictEqual(
      [...anchors],
      [
        'running-the-vtn',
        'several-vtn-processes-on-postgresql-benchvtn-scale',
        'security-who-may-do-what--and-bounds',
        'running-the-vtn-1',
      ],
    );
  });
});
