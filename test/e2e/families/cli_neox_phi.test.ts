/**
 * The CLI on tiny random Pythia (GPT-NeoX) and Phi-2 checkpoints (test/core/families/_tiny_neox_phi.ts): inspect names the
 * family's partial rotary and residual, and inherit writes a config.json transformers reads as the same architecture
 * at the target's depth, with the family's own tensor names (GPT-NeoX's fused query_key_value kept whole).
 * @module
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadDirTensors } from "../../../adapters/formats/safetensors_index.ts";
import { TINY_PHI, TINY_PYTHIA, writeTinyCheckpoint } from "../../core/families/_tiny_neox_phi.ts";
import { runCli } from "../../cli_io.ts";
import { freshDir, right } from "../../tmp.ts";

describe("inspect and inherit on GPT-NeoX and Phi checkpoints", () => {
  test("inspect shows a Pythia's partial rotary and parallel residual", async () => {
    const ck = await writeTinyCheckpoint(TINY_PYTHIA, 3);
    const j = JSON.parse((await runCli(["inspect", ck.dir, "--json"])).out);
    expect(j).toMatchObject({
      n_layer: 2,
      n_embd: 16,
      head_dim: 8,
      features: { rotary_dims: 4, residual: "parallel", norm: "layer", mlp: "geluErf" },
    });
    expect((await runCli(["inspect", ck.dir])).out).toMatch(/partial rotary\s+first 4 of 8 dims per head/);
    rmSync(ck.dir, { recursive: true, force: true });
  });

  // Their real vocabularies, so the bundled Pythia and GPT-2 tokenizers fit (Phi-2's is GPT-2's BPE plus code tokens).
  test.each(
    [
      ["GPT-NeoX", { ...TINY_PYTHIA, vocab_size: 50304 }, "GPTNeoXForCausalLM", "pythia.tokenizer.json"],
      ["Phi", { ...TINY_PHI, vocab_size: 51200 }, "PhiForCausalLM", "gpt2.tokenizer.json"],
    ] as const,
  )(
    "inherit --layers 1 of a %s writes its family's config.json at depth 1 and the reference's first-layer tensors unchanged",
    async (_, config, arch, tokenizer) => {
      const ck = await writeTinyCheckpoint(config, 5), out = join(freshDir(), "t1");
      const tok = fileURLToPath(new URL(`../../../assets/tokenizers/${tokenizer}`, import.meta.url));
      const r = await runCli(["inherit", ck.dir, "--layers", "1", "--out", out, "--tokenizer", tok]);
      expect(r.err).toBe("");
      const written = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
      expect(written).toMatchObject({
        architectures: [arch],
        model_type: (config as Record<string, unknown>)["model_type"],
        num_hidden_layers: 1,
      });
      const tensors = right(await loadDirTensors(out)()).tensors;
      for (const [name, x] of tensors) expect(x.data, name).toEqual(ck.tensors.get(name));
      expect([...tensors.keys()].sort()).toEqual([...ck.tensors.keys()].filter((n) => !/layers\.1\./.test(n)).sort());
      rmSync(ck.dir, { recursive: true, force: true });
    },
  );
});
