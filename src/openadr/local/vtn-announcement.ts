/**
 * `announceVtn(vtn, options)`: announce a running VTN on the LAN (announce.ts) and keep its
 * program_names current as programs are created, renamed and deleted.
 *
 * What is announced for whom: a VTN with anonymous local programs says `requires_auth=False` and
 * lists those programs (what any VEN may read without credentials); otherwise it says
 * `requires_auth=True` and lists every program (a VEN with credentials may read them).
 */
import type { Vtn } from '../vtn';
import {
  announceInterfaces,
  isLoopbackHost,
  VtnAnnouncer,
  type AnnouncedApi,
  type AnnouncementState,
} from './announce';

export interface VtnAnnounceOptions {
  /** The port the VTN listens on (its `listen()` result). */
  port: number;
  /** The address it is bound to: announcements go out where it can be reached. */
  bindHost: string;
  /** The scheme of local_url; default: https when the VTN serves TLS, else http. */
  scheme?: 'http' | 'https';
  name?: string;
  hostname?: string;
  interfaces?: string[];
  onWarning?: (text: string) => void;
}

export interface VtnAnnouncement {
  state(): AnnouncementState;
  /** Re-read the program names now (done by itself after every program change). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** The program names to announce, in creation order. */
export async function announcedProgramNames(vtn: Vtn): Promise<string[]> {
  const names: string[] = [];
  for (const o of await vtn.store.list({ type: 'PROGRAM' })) {
    const name = String(o.body.programName ?? '');
    if (!name) continue;
    if (vtn.anonymousPrograms.size > 0 && !vtn.anonymousPrograms.has(name)) continue;
    names.push(name);
  }
  return names;
}

export async function announceVtn(vtn: Vtn, options: VtnAnnounceOptions): Promise<VtnAnnouncement> {
  if (isLoopbackHost(options.bindHost))
    throw new Error(
      `the VTN listens on ${options.bindHost} (this machine only): listen on 0.0.0.0 or a LAN address to be found on the network`,
    );
  const apis: AnnouncedApi[] = [];
  if (vtn.basePath31 !== undefined && vtn.openapiPaths['3.1.0'])
    apis.push({ version: '3.1.0', basePath: vtn.basePath31, openapiPath: vtn.openapiPaths['3.1.0'] });
  if (vtn.openapiPaths['3.0.1'])
    apis.push({ version: '3.0.1', basePath: vtn.basePath, openapiPath: vtn.openapiPaths['3.0.1'] });
  const announcer = new VtnAnnouncer({
    name: options.name,
    hostname: options.hostname,
    interfaces: options.interfaces?.length ? options.interfaces : announceInterfaces(options.bindHost),
    port: options.port,
    // An HTTPS server has a secure context; announce what VENs will actually have to speak.
    scheme: options.scheme ?? (vtn.server && 'setSecureContext' in vtn.server ? 'https' : 'http'),
    apis,
    requiresAuth: vtn.anonymousPrograms.size === 0,
    programNames: await announcedProgramNames(vtn),
    onWarning: options.onWarning,
  });
  let stopped = false;
  // One re-read at a time; a change during a read asks for one more (never a stale last word).
  let reading: Promise<void> | undefined;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        const names = await announcedProgramNames(vtn);
        if (!stopped) announcer.updatePrograms(names);
      } while (again && !stopped);
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const onChange = (change: { objectType: string }): void => {
    if (change.objectType !== 'PROGRAM') return;
    refresh().catch((err: Error) => options.onWarning?.(`mDNS: could not read the programs: ${err.message}`));
  };
  vtn.service.on('change', onChange);
  try {
    await announcer.start();
  } catch (err) {
    vtn.service.off('change', onChange);
    await announcer.stop();
    throw err;
  }
  return {
    state: () => announcer.state(),
    refresh,
    async stop() {
      if (stopped) return;
      stopped = true;
      vtn.service.off('change', onChange);
      await announcer.stop();
    },
  };
}
