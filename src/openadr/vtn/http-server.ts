/**
 * The VTN's HTTP(S) server: listens where createVtn is told (refusing plain HTTP off loopback
 * unless behind a trusted proxy), answers repeated polls from the PageCache before Express, and on
 * close lets no slow client hold the port.
 */
import type http from 'http';
import type { AddressInfo, Socket } from 'net';
import type { Express } from 'express';
import type { ListenerInfo } from './app';
import { createServer, plainHttpRefusal, type VtnTlsOptions } from './listener';
import type { PageCache } from './routes';

export class VtnHttpServer {
  private current: http.Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly app: Express,
    private readonly pageCache: PageCache,
    private readonly listener: ListenerInfo,
    private readonly tls: VtnTlsOptions | undefined,
    private readonly trustProxy: boolean,
    /** The 3.0.1 base path, appended to the URL listen() resolves with. */
    private readonly basePath: string,
  ) {}

  /** The HTTP or HTTPS server once listening. */
  get server(): http.Server | undefined {
    return this.current;
  }

  listen(port: number, host: string): Promise<{ port: number; host: string; url: string }> {
    const { app, pageCache, listener, sockets } = this;
    return new Promise((resolve, reject) => {
      const refused = plainHttpRefusal(host, Boolean(this.tls), this.trustProxy);
      if (refused) return reject(new Error(refused));
      // Repeated polls are answered before Express sees them (same checks, see PageCache).
      let s: http.Server;
      try {
        s = createServer(this.tls, (req, res) => {
          const served = pageCache.tryServe(req, res);
          if (served === false) app(req, res);
          else if (served !== true) void served.then((hit) => hit || app(req, res));
        });
      } catch (err) {
        return reject(err as Error); // a key that does not match, a PEM that is not one
      }
      s.keepAliveTimeout = 5000;
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        this.current = s;
        const a = s.address() as AddressInfo;
        listener.host = host;
        listener.port = a.port;
        const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        const scheme = this.tls ? 'https' : 'http';
        const own = `${scheme}://${host === 'localhost' ? 'localhost' : shown}:${a.port}`;
        resolve({ port: a.port, host: a.address, url: `${listener.publicUrl ?? own}${this.basePath}` });
      });
    });
  }

  /** Stops listening; connections still open after a short grace are ended. */
  async close(): Promise<void> {
    if (!this.current) return;
    const s = this.current;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
      // Do not let a slow client hold the port: end what remains after a short grace.
      setTimeout(() => {
        for (const sock of this.sockets) sock.destroy();
      }, 1000).unref();
    });
  }
}
