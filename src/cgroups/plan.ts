// The shape of a resource plan: which cgroup files to write, with what, for which config field.
// The v1 and v2 planners (resources-v1.ts, resources-v2.ts) are pure functions to this shape; the
// writer (apply.ts) carries it out on a real directory.

export interface Candidate {
  file: string;
  value: string;
}

export interface CgroupWrite {
  /** v1: the controller whose hierarchy holds the file; v2: the controller it belongs to ("cgroup" for core files) */
  controller: string;
  /** the first candidate whose file exists is written (blkio.weight, or blkio.bfq.weight with its own scale) */
  candidates: Candidate[];
  /** JSON pointer of the config value, for errors */
  field: string;
  /** when no candidate exists: an error naming the field (default), skip, or skip with this warning */
  ifMissing?: 'error' | 'skip' | { warn: string };
  /** EINVAL is retried once after the writes that follow (cpu.cfs_period_us before its quota) */
  retryLaterOnEinval?: boolean;
}

export interface ResourcePlan {
  writes: CgroupWrite[];
  /** fields accepted but not applied on this cgroup version, each said once (runc ignores them too) */
  warnings: string[];
}

export const write = (controller: string, file: string, value: string, field: string, extra: Partial<CgroupWrite> = {}): CgroupWrite => ({
  controller,
  candidates: [{ file, value }],
  field,
  ...extra,
});

/** "8:0" */
export const devNum = (d: { major: number; minor: number }): string => `${d.major}:${d.minor}`;
