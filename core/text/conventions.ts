/**
 * Where BOS goes, one rule for sample, eval and tokenize: a text starts with BOS exactly when the
 * tokenizer's own convention says so (Tokenizer.addsBos: transformers' `encode(text)`; GPT-2, Pythia
 * and SmolLM2 add none, Llama's `<s>` and llama2.c's run.c do). Two places need a token where the
 * convention gives none: an empty prompt or context starts from BOS alone (transformers' generate with
 * no input starts from bos_token_id; lm-evaluation-harness scores an empty context after the prefix
 * token, BOS/EOT), and a corpus without BOS marks document ends with EOS (GPT-2's `<|endoftext|>`
 * between documents). Generation stops at generation_config.json's eos_token_id when the model has
 * one, else at the format's stops (llama2.c: BOS and EOS), else at the tokenizer's EOS.
 * @module
 */
import type { Tokenizer } from "./tokenizer.ts";

type Conventions = Pick<Tokenizer, "bos" | "eos" | "addsBos" | "stops">;

/** The ids a prompt is read as: with BOS when the tokenizer adds it, BOS alone when the prompt is empty. */
export const promptIds = (tok: Conventions & Pick<Tokenizer, "encode">, text: string): ReadonlyArray<number> => {
  const ids = tok.encode(text, { bos: tok.addsBos, eos: false });
  return ids.length > 0 ? ids : [tok.bos];
};

/** The ids a scored request starts with before its context: BOS when the tokenizer adds it or the context is empty. */
export const contextPrefix = (tok: Pick<Tokenizer, "bos" | "addsBos">, contextLength: number): ReadonlyArray<number> =>
  tok.addsBos || contextLength === 0 ? [tok.bos] : [];

/** How a corpus marks its documents by default: BOS before each when the tokenizer adds it, else EOS after each. */
export const documentBoundary = (tok: Conventions): "bos" | "eos" => (tok.addsBos ? "bos" : "eos");

/** The ids generation stops at (see the module note). */
export const stopIds = (tok: Conventions, generationEos: ReadonlyArray<number>): ReadonlyArray<number> =>
  generationEos.length > 0 ? generationEos : tok.stops ?? [tok.eos];
