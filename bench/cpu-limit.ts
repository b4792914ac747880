/**
 * BENCH_VTN_CPU for bench:vtn-scale: hold one process to a share of a core with a Linux cgroup
 * CPU quota, as if it ran on a small host of its own. On a machine with few cores this answers the
 * question the whole-machine figures cannot: when the VTN processes (not the machine) are the
 * limit, does each added instance add its share of capacity, or does something they share (the
 * database, the LISTEN/NOTIFY fan-out) hold them back?
 * Needs root and the cgroup `cpu` controller (v2 at /sys/fs/cgroup, or v1 at /sys/fs/cgroup/cpu).
 */
import fs from 'fs';
import path from 'path';

/** CFS period: short, so a throttled process waits milliseconds, not a tenth of a second. */
const PERIOD_US = 10_000;

export interface CpuLimit {
  /** Remove the cgroup (after its process has exited). */
  remove(): void;
}

function cgroupRoot(): { dir: string; v2: boolean } {
  const v2 = '/sys/fs/cgroup';
  try {
    if (fs.readFileSync(path.join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu'))
      return { dir: v2, v2: true };
  } catch {
    // not cgroup v2 with the cpu controller: try v1
  }
  const v1 = '/sys/fs/cgroup/cpu';
  if (fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) return { dir: v1, v2: false };
  throw new Error('BENCH_VTN_CPU needs the cgroup cpu controller (/sys/fs/cgroup or /sys/fs/cgroup/cpu)');
}

/** Limit process `pid` (and its threads) to `cores` of CPU time, e.g. 0.25 for a quarter core. */
export function limitCpu(pid: number, cores: number, name: string): CpuLimit {
  if (!(cores > 0)) throw new Error(`BENCH_VTN_CPU must be a number of cores > 0, not ${cores}`);
  const { dir: root, v2 } = cgroupRoot();
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const quota = Math.round(cores * PERIOD_US);
  try {
    if (v2) fs.writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    else {
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  } catch (err) {
    fs.rmdirSync(dir);
    throw new Error(`BENCH_VTN_CPU: cannot set a CPU quota (root needed): ${(err as Error).message}`, {
      cause: err,
    });
  }
  return {
    remove: () => {
      try {
        fs.rmdirSync(dir);
      } catch {
        // still has a process in it (it will be gone with the process's cgroup on reboot)
      }
    },
  };
}
