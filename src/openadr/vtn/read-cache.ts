/**
 * Versions of what the store holds, per object type, and the reads a write repeats answered from
 * memory while those versions stand.
 *
 * A local store counts versions here (bumped on each committed change); a shared store (other
 * processes write to it too) keeps its own counters, read from the database or, in its 'notify'
 * consistency, from what its change listener has heard (see VtnStore.knownVersions).
 */
import type { ObjectType, StoredObject, VtnStore } from './store/store';

interface CacheEntry {
  version: number;
  list?: StoredObject[];
  byId: Map<string, StoredObject>;
}

/**
 * The largest of `versions` over `types` (-Infinity for none, as Math.max gives). A loop, not
 * Math.max over a mapped array: every poll asks, and the array would be garbage each time.
 */
function newest(types: readonly ObjectType[], versions: Readonly<Record<ObjectType, number>>): number {
  let max = -Infinity;
  for (const t of types) max = Math.max(max, versions[t]);
  return max;
}

export class StoreReadCache {
  /** Per object type, the version of the last change that touched it (this process's writes). */
  private readonly typeVersions: Record<ObjectType, number> = {
    PROGRAM: 0,
    EVENT: 0,
    REPORT: 0,
    SUBSCRIPTION: 0,
    VEN: 0,
    RESOURCE: 0,
  };

  /**
   * Reads every write repeats — the subscriptions a change may notify, the event a report names,
   * the program an event or subscription names — answered from memory while the version of their
   * type is unchanged (the versions the page cache uses, so the same guarantees: with 'strict' a
   * read shared by concurrent requests replaces two or three store reads per report). Only objects
   * that were found are kept: a miss always asks the store.
   */
  private readonly entries = new Map<ObjectType, CacheEntry>();

  constructor(private readonly store: VtnStore) {}

  /** Records a committed change at `version` to these objects' types. */
  changed(objects: StoredObject[], version: number): void {
    for (const o of objects) this.typeVersions[o.type] = version;
  }

  /** The newest version among these types (a list's version: see VtnService.listVersion). */
  newestOf(types: ObjectType[]): number | Promise<number> {
    if (this.store.shared) {
      const known = this.store.knownVersions?.();
      if (known) return newest(types, known);
      if (this.store.changeVersions) return this.store.changeVersions().then((v) => newest(types, v));
    }
    return newest(types, this.typeVersions);
  }

  private typeVersion(t: ObjectType): number | Promise<number> {
    if (!this.store.shared) return this.typeVersions[t];
    const known = this.store.knownVersions?.();
    if (known) return known[t];
    if (this.store.changeVersions) return this.store.changeVersions().then((v) => v[t]);
    return NaN; // a shared store that cannot tell: never equal, so never cached
  }

  private entry(t: ObjectType, version: number): CacheEntry {
    let e = this.entries.get(t);
    if (!e || e.version !== version) {
      e = { version, byId: new Map() };
      this.entries.set(t, e);
    }
    return e;
  }

  async get(t: ObjectType, id: string): Promise<StoredObject | undefined> {
    const version = await this.typeVersion(t);
    const e = this.entry(t, version);
    const hit = e.byId.get(id);
    if (hit && !Number.isNaN(version)) return hit;
    // Read after the version: a change meanwhile leaves the entry stale at once, never old data
    // under a new version.
    const o = await this.store.get(t, id);
    if (o && this.entries.get(t) === e) {
      if (e.byId.size >= 10_000) e.byId.clear();
      e.byId.set(id, o);
    }
    return o;
  }

  async list(t: ObjectType): Promise<StoredObject[]> {
    const version = await this.typeVersion(t);
    const e = this.entry(t, version);
    if (e.list && !Number.isNaN(version)) return e.list;
    const list = await this.store.list({ type: t });
    if (this.entries.get(t) === e) e.list = list;
    return list;
  }
}
