/**
 * What the lanes probe (gpu/kernels/lanes_probe.ts) must read on a device whose workgroup of
 * `lanes` invocations is one subgroup with subgroup ids equal to local ids: invocation i, asking
 * every lane j for its value j + 100 by subgroupBroadcast, gets out[i·lanes + j] = j + 100.
 * @module
 */
export const broadcastTable = (lanes: number): Uint32Array =>
  Uint32Array.from({ length: lanes * lanes }, (_, i) => (i % lanes) + 100);
