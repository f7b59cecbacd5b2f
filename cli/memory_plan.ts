/**
 * The memory plan of a GPU training run (gpu/train/memory_plan.ts) as the table `train` prints
 * before its first step, so a user sees where the device's memory goes before it is spent.
 * @module
 */
import type { MemoryPlan } from "../gpu/train/memory_plan.ts";
import { bytesText as size } from "../core/report/bytes.ts";

/** `memory plan (device): …` then one row per part and the total; `limits` names the adapter's. */
export const planTable = (p: MemoryPlan, limits: string): string => {
  const w = Math.max(...p.parts.map((x) => x.part.length), "total".length);
  const rows = p.parts.map((x) =>
    `  ${x.part.padEnd(w)}  ${size(x.bytes).padStart(10)}  ${String(x.buffers).padStart(5)} buffers, largest ${
      size(x.largest).padStart(10)
    }  ${x.detail}`
  );
  return [
    `memory plan (device), against ${limits}:`,
    ...rows,
    `  ${"total".padEnd(w)}  ${size(p.total).padStart(10)}  largest buffer ${
      size(p.largest.bytes)
    } (${p.largest.part})`,
    "",
  ].join("\n") + "\n";
};
