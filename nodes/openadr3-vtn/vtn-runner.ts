/**
 * One openadr3-vtn node's running VTN: starts it with the node's settings, keeps the node's
 * status honest (counts, announcement, demo secrets, dead webhooks, database outages), announces
 * it on the LAN when asked, runs the flow's operations on it, and stops it on close.
 */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { createVtn, runFlowOperation, type Change, type Vtn, type VtnOptions } from '../../src/openadr/vtn';
import { isLoopbackHost } from '../../src/openadr/vtn';
import { announceVtn, type VtnAnnouncement } from '../../src/openadr/local';
import { checkDepth } from '../../src/limits';
import { clearInputFailure, guardTask, inputFailed, sendSafely } from '../shared/input';
import { asMessage } from '../shared/red';
import { statusShape } from '../shared/status';
import type { VtnCredentials, VtnSettings } from './settings';

const OPERATION_WORD: Record<Change['operation'], string> = {
  POST: 'create',
  PUT: 'update',
  DELETE: 'delete',
};

export class VtnRunner {
  private vtn: Vtn | undefined;
  private announcement: VtnAnnouncement | undefined;
  private announceProblem = '';
  private closing = false;
  private statusTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private lastStoreError = '';
  private boundPort: number;
  /** Marks changes made by this node's own input: those are answered, not echoed. */
  private readonly origin: string;
  /** Settles when the VTN listens (or failed to start: see start()). */
  readonly started: Promise<void>;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node<VtnCredentials>,
    private readonly settings: VtnSettings,
  ) {
    this.origin = `flow:${node.id}`;
    this.boundPort = settings.port;
    this.started = this.start();
    const { host, port } = settings;
    this.started.catch((err: Error & { code?: string }) => {
      // A taken port is the usual first-run problem (the demo's 8080): name the setting to change.
      if (err.code === 'EADDRINUSE') {
        node.status(statusShape.error(RED._('openadr3-vtn.status.portInUse', { port })));
        node.error(RED._('openadr3-vtn.errors.portInUse', { host, port }));
        return;
      }
      node.status(statusShape.error(RED._('openadr3-vtn.status.cannotStart', { error: err.message })));
      node.error(RED._('openadr3-vtn.errors.cannotStart', { host, port, error: err.message }));
    });
  }

  /** Red while the database is unreachable; the API answers 503 meanwhile (see createVtn). */
  private storeDown(err: Error | string): void {
    const { RED, node } = this;
    if (this.closing) return;
    clearInputFailure(node);
    // The store's message already starts "database unavailable (what it was doing): ".
    const why = (typeof err === 'string' ? err : err.message).replace(
      /^database unavailable( \([^)]*\))?: /,
      '',
    );
    node.status(statusShape.error(RED._('openadr3-vtn.status.databaseUnavailable', { error: why })));
    if (why !== this.lastStoreError)
      node.error(RED._('openadr3-vtn.errors.databaseUnavailable', { error: why }));
    this.lastStoreError = why;
  }

  private showStatus(): void {
    // A rejected flow operation stays red until a later one succeeds or the database comes and
    // goes: changes made by VENs over HTTP say nothing new about it.
    if (!this.vtn || this.closing || inputFailed(this.node)) return;
    const v = this.vtn;
    guardTask(
      this.node,
      async () => {
        const c = await v.service.counts();
        const d = await v.store.deliverySummary();
        if (this.closing) return;
        this.statusWith(c, d.dead);
        this.lastStoreError = '';
      },
      (err) => this.storeDown(err),
    );
  }

  private statusWith(c: Awaited<ReturnType<Vtn['service']['counts']>>, dead: number): void {
    const { RED, node } = this;
    const { tls, storeLabel, demoOnNetwork, host } = this.settings;
    const port = this.boundPort;
    const text = [
      tls
        ? RED._('openadr3-vtn.status.listeningHttps', { port, store: storeLabel })
        : RED._('openadr3-vtn.status.listening', { port, store: storeLabel }),
      ...(this.announcement ? [RED._('openadr3-vtn.status.announced')] : []),
      RED._('openadr3-vtn.status.programs', { count: c.PROGRAM }),
      RED._('openadr3-vtn.status.events', { count: c.EVENT }),
      RED._('openadr3-vtn.status.vens', { count: c.VEN }),
    ].join(' · ');
    if (this.announceProblem)
      node.status(statusShape.waiting(RED._('openadr3-vtn.status.notAnnounced', { text })));
    else if (demoOnNetwork)
      node.status(statusShape.waiting(RED._('openadr3-vtn.status.demoSecrets', { host, text })));
    else if (dead > 0)
      node.status(statusShape.waiting(RED._('openadr3-vtn.status.deadWebhooks', { count: dead, text })));
    else node.status(statusShape.ok(text));
  }

  private scheduleStatus(): void {
    if (this.statusTimer || this.closing) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.showStatus();
    }, 100);
  }

  /** What createVtn is given: the settings, and hooks into this node's output and status. */
  private vtnOptions(): VtnOptions {
    const { RED, node, settings: s } = this;
    const { config, mqttTls } = s;
    return {
      store: s.storeFile,
      pgConsistency: s.pgConsistency,
      basePath: config.basePath || undefined,
      clients: s.clients,
      tokenLifetimeSeconds: s.tokenLifetime,
      callbacks: { lan: !!config.callbacksLan, loopback: !!config.callbacksLoopback },
      statusPage: config.statusPage !== false,
      cascadeDeletes: !!config.cascadeDeletes,
      blCanDeleteReports: !!config.blCanDeleteReports,
      webhooks: { maxAttempts: s.webhookAttempts },
      mqtt: s.mqttUrl
        ? {
            url: s.mqttUrl,
            tls: mqttTls && {
              ca: mqttTls.ca,
              cert: mqttTls.cert,
              key: mqttTls.key,
              passphrase: mqttTls.passphrase,
              rejectUnauthorized: mqttTls.verifyServer,
            },
          }
        : undefined,
      tls: s.tls,
      trustProxy: s.behindProxy,
      publicUrl: s.publicUrl,
      anonymousPrograms: s.anonymousPrograms,
      onChange: (change) => this.changed(change),
      onDelivery: (e) => {
        if (!e.ok) this.scheduleStatus();
        if (e.dead)
          node.warn(
            RED._('openadr3-vtn.warnings.deadWebhook', {
              url: e.entry.callbackUrl,
              error: String(e.detail ?? e.error),
            }),
          );
      },
      onError: (err) => node.error(RED._('openadr3-vtn.errors.internal', { error: err.message })),
      // At once, not at the next health check; back to the normal status when it returns.
      onStoreHealth: (h) => {
        if (h.available) clearInputFailure(node);
        return h.available ? this.showStatus() : this.storeDown(h.error ?? 'unreachable');
      },
    };
  }

  /** A change made over HTTP (or by another instance) goes out of the node; the flow's own do not. */
  private changed(change: Change): void {
    this.scheduleStatus();
    if (change.origin === this.origin) return;
    sendSafely(
      this.node,
      asMessage({
        topic: change.objectType,
        operation: OPERATION_WORD[change.operation],
        payload: change.object,
        ...(change.remote ? { remote: true } : {}),
      }),
      this.RED._,
    );
  }

  private async start(): Promise<void> {
    const { RED, node } = this;
    const { host, port } = this.settings;
    node.status(statusShape.waiting(RED._('openadr3-vtn.status.starting', { host, port })));
    const v = await createVtn(this.vtnOptions());
    if (this.closing) {
      await v.close();
      return;
    }
    this.vtn = v;
    try {
      const bound = await v.listen(port, host);
      this.boundPort = bound.port;
    } catch (err) {
      this.vtn = undefined;
      await v.close();
      throw err;
    }
    if (this.closing) return;
    if (this.settings.demoOnNetwork) node.warn(RED._('openadr3-vtn.warnings.demoSecrets', { host }));
    if (this.settings.config.announce) await this.startAnnouncing(v);
    this.showStatus();
    // A database on another host can go away and come back: check it, so the status stays honest.
    if (v.store.shared) {
      this.healthTimer = setInterval(() => this.showStatus(), 5000);
      this.healthTimer.unref();
    }
  }

  /** mDNS: optional, so a failure is a warning and a yellow status; the VTN serves on. */
  private async startAnnouncing(v: Vtn): Promise<void> {
    const { RED, node } = this;
    const { host, tls, config } = this.settings;
    if (isLoopbackHost(host)) {
      this.announceProblem = host;
      node.warn(RED._('openadr3-vtn.warnings.notAnnouncedLoopback', { host }));
      return;
    }
    try {
      const a = await announceVtn(v, {
        port: this.boundPort,
        bindHost: host,
        // local_url as VENs will reach it: https with TLS (the Definition's form), else plain.
        scheme: tls ? 'https' : 'http',
        name: config.announceName?.trim() || config.name?.trim() || undefined,
        interfaces: config.announceInterface?.trim() ? [config.announceInterface.trim()] : undefined,
        onWarning: (text) => node.warn(text),
      });
      if (this.closing) await a.stop();
      else this.announcement = a;
    } catch (err) {
      this.announceProblem = (err as Error).message;
      node.warn(RED._('openadr3-vtn.warnings.notAnnounced', { error: (err as Error).message }));
    }
  }

  /** One flow operation (msg.topic, msg.operation, msg.payload): the stored object it resulted in. */
  async runOperation(
    msg: NodeMessageInFlow,
    maxPayloadDepth: number,
  ): Promise<Awaited<ReturnType<typeof runFlowOperation>>> {
    await this.started;
    if (!this.vtn) throw new Error(this.RED._('openadr3-vtn.errors.notRunning'));
    const m = msg as NodeMessageInFlow & { operation?: unknown };
    // Checked before anything is validated or stored.
    checkDepth(m.payload, maxPayloadDepth, 'msg.payload');
    const result = await runFlowOperation(this.vtn.service, m.topic, m.operation, m.payload, this.origin);
    clearInputFailure(this.node);
    this.scheduleStatus();
    return result;
  }

  /** Stops timers, says goodbye on the LAN, closes the VTN; the status says stopped. */
  close(done: () => void): void {
    const { RED, node } = this;
    this.closing = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    const finish = (): void => {
      node.status(statusShape.stopped(RED._('openadr3-vtn.status.stopped')));
      done();
    };
    this.started
      .catch(() => undefined)
      // Goodbye first: VENs browsing the LAN drop this VTN at once, not when its records expire.
      .then(() => this.announcement?.stop())
      .catch(() => undefined)
      .then(() => this.vtn?.close())
      .then(finish, (err: Error) => {
        node.error(RED._('openadr3-vtn.errors.closing', { error: err.message }));
        finish();
      });
  }
}
