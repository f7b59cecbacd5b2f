/**
 * Folding grids over the per-dimension dispatch cap: every logical workgroup runs exactly once.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { foldGrid, unfoldWorkgroup, type Vec3 } from "../../gpu/mod.ts";

const arbGridAndCap = fc.integer({ min: 1, max: 9 }).chain((cap) =>
  fc.integer({ min: 0, max: cap ** 3 }).chain((gx) =>
    fc.integer({ min: 1, max: Math.max(1, Math.floor(cap ** 3 / Math.max(gx, 1))) }).chain((gy) =>
      fc.integer({ min: 1, max: Math.max(1, Math.floor(cap ** 3 / Math.max(gx * gy, 1))) }).map((gz) => ({
        cap,
        grid: [gx, gy, gz] as Vec3,
      }))
    )
  )
);

test.prop([arbGridAndCap])(
  "for any grid of at most cap³ workgroups (built so), the fold fits the cap and visits every logical workgroup exactly once",
  ({ cap, grid }) => {
    const total = grid[0] * grid[1] * grid[2];
    const d = foldGrid(grid, cap);
    expect(d.physical.every((n) => n <= cap)).toBe(true);
    const seen = new Map<string, number>();
    for (let z = 0; z < d.physical[2]; z++) {
      for (let y = 0; y < d.physical[1]; y++) {
        for (let x = 0; x < d.physical[0]; x++) {
          const l = unfoldWorkgroup(d, [x, y, z]);
          if (l !== null) seen.set(l.join(","), (seen.get(l.join(",")) ?? 0) + 1);
        }
      }
    }
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(d.physical[0] * d.physical[1] * d.physical[2] - total).toBeLessThan(
      Math.max(d.physical[0], 1) * (d.physical[2] + 1),
    );
  },
);

test.prop([
  fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 4 })),
])(
  "a grid within 65535 per dimension is dispatched as it is",
  (grid) => {
    expect(foldGrid(grid, 65535).physical).toEqual(grid);
  },
);
