/**
 * Olivine's `eventDescriptor.vtnComment`: `Key:Value;Key:Value…`, e.g.
 * `BindingPrices:True;RetailerLong:Pacific Utility Company;URL:http://www.example.org/PUC`.
 *
 * Each pair splits on its FIRST `:` only (URL values contain colons); `True`/`False` become
 * booleans. The comment is informational, so anything malformed becomes a warning, never an
 * error: prices must not be lost over a badly written note.
 */
export type VtnMetadata = Record<string, string | boolean>;

/** A longer comment is not a note: it is ignored (with a warning) rather than read. */
export const MAX_COMMENT_CHARS = 16 * 1024;
/** Warnings one comment may add (then one line counting the rest). */
const MAX_COMMENT_WARNINGS = 10;

export function parseVtnComment(
  comment: unknown,
  path: string,
): { metadata: VtnMetadata; warnings: string[] } {
  const metadata: VtnMetadata = {};
  const warnings: string[] = [];
  if (comment === undefined || comment === null) return { metadata, warnings };
  if (typeof comment !== 'string') {
    warnings.push(`${path}: ignored, expected a "Key:Value;…" string, got ${typeof comment}`);
    return { metadata, warnings };
  }
  if (comment.length > MAX_COMMENT_CHARS) {
    warnings.push(
      `${path}: ignored, ${comment.length} characters is more than a note (${MAX_COMMENT_CHARS})`,
    );
    return { metadata, warnings };
  }
  let dropped = 0;
  const warn = (w: string): void => {
    if (warnings.length < MAX_COMMENT_WARNINGS) warnings.push(w);
    else dropped++;
  };
  comment.split(';').forEach((segment, i) => {
    if (segment.trim() === '') return; // a trailing or doubled ";" carries nothing
    const colon = segment.indexOf(':');
    if (colon < 0) {
      warn(`${path}: pair ${i + 1} ${JSON.stringify(segment)} has no ":" and was ignored`);
      return;
    }
    const key = segment.slice(0, colon).trim();
    const raw = segment.slice(colon + 1).trim();
    if (key === '') {
      warn(`${path}: pair ${i + 1} ${JSON.stringify(segment)} has an empty key and was ignored`);
      return;
    }
    if (Object.prototype.hasOwnProperty.call(metadata, key)) {
      warn(`${path}: key ${JSON.stringify(key)} appears more than once; the first value is kept`);
      return;
    }
    // defineProperty, not assignment: a key such as "__proto__" must stay plain data.
    Object.defineProperty(metadata, key, {
      value: raw === 'True' ? true : raw === 'False' ? false : raw,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  if (dropped) warnings.push(`${path}: ${dropped} more problems like these`);
  return { metadata, warnings };
}
