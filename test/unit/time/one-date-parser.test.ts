import assert from 'assert';
import ts from 'typescript';
import { codeFiles, parseSource } from '../../support/source-files';

// Date-times have one home, src/time/datetime.ts. `Date.parse` reads a date-time without a zone
// as the server's local time and accepts whatever the JavaScript engine guesses at, so a new
// `Date.parse(` in src/ or nodes/ fails here. The allow-list names the few places whose text is
// not ISO 8601 at all, each with the reason; an entry that no longer calls Date.parse fails too,
// so the list stays exact.

const ALLOWED: Record<string, string> = {
  'src/net/retry.ts': 'Retry-After may be an HTTP-date (RFC 9110 IMF-fixdate), which is not ISO 8601',
  'src/tls/certificates.ts':
    'X509Certificate.validTo is OpenSSL\'s text ("Mar 25 12:00:00 2027 GMT"), not ISO 8601',
};

/** Lines (1-based) of every `Date.parse(...)` call in a file; comments and strings do not count. */
function dateParseCalls(rel: string): number[] {
  const sf = parseSource(rel);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'parse' &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'Date'
    )
      lines.push(sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

describe('time: one date-time parser', () => {
  const files = codeFiles();
  const calls = new Map(files.map((f) => [f, dateParseCalls(f)]));

  it('finds the code it checks (and would see a Date.parse call)', () => {
    assert.ok(files.length > 50 && files.includes('src/time/datetime.ts'));
    assert.ok(calls.get('src/net/retry.ts')!.length > 0, 'the scan sees the known Date.parse in retry.ts');
  });

  it('no Date.parse( in src/ or nodes/ outside the allow-list: use src/time/datetime.ts', () => {
    const found = files
      .filter((f) => !(f in ALLOWED))
      .flatMap((f) => calls.get(f)!.map((line) => `${f}:${line}`));
    assert.deepStrictEqual(
      found,
      [],
      'read ISO 8601 with parseIsoDateTime (strict) or parseIsoDateTimeTolerant / instantOf',
    );
  });

  it('every allow-listed file still needs its entry', () => {
    for (const [file, reason] of Object.entries(ALLOWED)) {
      assert.ok(reason.length > 20, `${file} says why`);
      assert.ok((calls.get(file) ?? []).length > 0, `${file} no longer calls Date.parse: drop its entry`);
    }
  });
});
