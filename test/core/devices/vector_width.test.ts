/**
 * lavapipe's vector width (adapters/devices/vector_width.ts): 512 bits on an AVX-512 CPU unless the user set a
 * width, which is always kept; nothing set elsewhere. The real choice and its bits: test/e2e/determinism.test.ts.
 * @module
 */
import { describe, expect, it } from "vitest";
import {
  applyVectorWidth,
  chooseVectorWidth,
  cpuFlags,
  lavapipeWidth,
} from "../../../adapters/devices/vector_width.ts";

const AVX512 = new Set(["fpu", "sse2", "avx2", "avx512f", "avx512bw"]), AVX2 = new Set(["fpu", "sse2", "avx2"]);

describe("lavapipe's vector width", () => {
  it("is set to 512 on a CPU with AVX-512 when the user set none (or an empty one)", () => {
    expect(chooseVectorWidth({}, AVX512).set).toBe("512");
    expect(chooseVectorWidth({ LP_NATIVE_VECTOR_WIDTH: " " }, AVX512).set).toBe("512");
  });
  it("is left alone on a CPU without AVX-512, and says why", () => {
    expect(chooseVectorWidth({}, AVX2)).toEqual({ why: "lavapipe's own width: this CPU has no AVX-512" });
  });
  it("keeps whatever width the user set, 256 included, on any CPU", () => {
    for (const flags of [AVX512, AVX2]) {
      expect(chooseVectorWidth({ LP_NATIVE_VECTOR_WIDTH: "256" }, flags)).toEqual({
        why: "LP_NATIVE_VECTOR_WIDTH=256 as set",
      });
    }
  });
  it("writes the choice into the environment it is given, and only a choice", () => {
    const env: Record<string, string | undefined> = {}, choice = applyVectorWidth(env);
    expect(env.LP_NATIVE_VECTOR_WIDTH).toBe(choice.set);
    const kept: Record<string, string | undefined> = { LP_NATIVE_VECTOR_WIDTH: "128" };
    applyVectorWidth(kept);
    expect(kept).toEqual({ LP_NATIVE_VECTOR_WIDTH: "128" });
  });
  it("gives the width lavapipe will run at: the one set, else the one chosen, else none (lavapipe's own)", () => {
    expect(lavapipeWidth({ LP_NATIVE_VECTOR_WIDTH: "256" }, AVX512)).toBe("256");
    expect(lavapipeWidth({}, AVX512)).toBe("512");
    expect(lavapipeWidth({}, AVX2)).toBeUndefined();
  });
  it("reads the CPU's flags from the system on Linux", () => {
    if (process.platform === "linux") expect(cpuFlags().has("fpu")).toBe(true);
    else expect(cpuFlags().size).toBe(0);
  });
});
