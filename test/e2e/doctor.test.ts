/**
 * `inheritune doctor --json` through the Node bundle on this machine (Mesa lavapipe installed): one JSON
 * object on stdout naming Node's adapter, its API, kernels and the lanes probe's answer, Deno's view as
 * asked of a Deno child, and exit 0.
 * @module
 */
import { describe, expect, test } from "vitest";
import { nodeCli } from "../runtimes.ts";

describe("doctor under Node", () => {
  test("reports Dawn's lavapipe adapter on Vulkan with its kernel family, and Deno's view beside it", async () => {
    const r = await nodeCli(["doctor", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      ok: true,
      node: {
        present: true,
        runtime: { name: "Node", webgpu: "Dawn" },
        adapter: { isCpu: true, api: { name: "Vulkan" } },
        kernels: expect.stringMatching(/^(cpu|lanes|lanes16|gpu)$/),
        lanes: expect.any(Boolean),
      },
      deno: { present: true, runtime: { name: "Deno", webgpu: "wgpu" }, adapter: { isCpu: true } },
    });
    expect(report.node.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.system.packages).toHaveProperty("mesa-vulkan-drivers");
  });
});
