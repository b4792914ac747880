/** The health record a VEN client keeps, so every node using it can show the VTN's state honestly. */
import { OpenAdrError } from './errors';

export type HealthState = 'unknown' | 'ok' | 'unreachable' | 'auth-failed' | 'tls-failed' | 'error';

export interface ClientHealth {
  state: HealthState;
  /** ISO time the current state began (e.g. when the VTN became unreachable). */
  since: string | null;
  lastOkAt: string | null;
  lastError: string | null;
  /**
   * While `tls-failed`: the failure's code (OpenSSL's or Node's, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`),
   * so a user interface can say it in its own language.
   */
  tlsCode?: string;
}

export class HealthRecord {
  private health: ClientHealth = { state: 'unknown', since: null, lastOkAt: null, lastError: null };
  private readonly listeners = new Set<(h: ClientHealth) => void>();

  constructor(private readonly now: () => number) {}

  get(): ClientHealth {
    return { ...this.health };
  }

  onChange(listener: (health: ClientHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(state: HealthState, error?: string, tlsCode?: string): void {
    const at = new Date(this.now()).toISOString();
    const health = this.health;
    const next: ClientHealth = {
      state,
      since: state === health.state ? health.since : at,
      lastOkAt: state === 'ok' ? at : health.lastOkAt,
      lastError: error ?? (state === 'ok' ? null : health.lastError),
      ...(tlsCode ? { tlsCode } : {}),
    };
    const changed = next.state !== health.state || next.lastError !== health.lastError;
    this.health = next;
    if (!changed) return;
    for (const l of this.listeners) {
      try {
        l(this.health);
      } catch {
        // A listener's failure must not break the request that reported health.
      }
    }
  }

  /** What a failed request says about the VTN. */
  failure(err: unknown): void {
    if (!(err instanceof OpenAdrError) || err.kind === 'closed') return;
    if (
      err.kind === 'network' ||
      err.kind === 'timeout' ||
      (err.kind === 'http' && (err.status ?? 0) >= 500)
    ) {
      this.set('unreachable', err.message);
    } else if (err.kind === 'auth') this.set('auth-failed', err.message);
    else if (err.kind === 'tls') this.set('tls-failed', err.message, (err as { code?: string }).code);
    else if (err.kind === 'parse') this.set('error', err.message);
    else this.set('ok'); // a 4xx answer (e.g. 404) still means the VTN is up and talking
  }
}
