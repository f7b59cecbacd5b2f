/**
 * A task's documents as loglikelihood requests, by lm-evaluation-harness 0.4's conventions
 * (`multiple_choice` and `loglikelihood` output types, target delimiter " "):
 * - multiple choice (ARC, PIQA, BoolQ; rows {query, choices, gold}): context = query + "Answer:" when
 *   the query ends in a newline, else query + "\nAnswer:"; one request per choice, continuation " " + choice;
 * - HellaSwag: the same with the (already preprocessed) context line as the context, " " + ending;
 * - partial (WinoGrande; {context_options, continuation, gold}): one request per option, context = the
 *   option, continuation " " + continuation (the same text scored after each option);
 * - completion (LAMBADA; {context, continuation}): one request, continuation " " + continuation.
 * Pure: text in, requests out; tokens are core/eval/encode_pair.ts's concern.
 * @module
 */

/** One loglikelihood request: log p(continuation | context). */
export interface LlRequest {
  readonly context: string;
  readonly continuation: string;
}

/**
 * A document: a choice among its requests (gold the right one), or one completion (gold 0).
 * normLengths: each choice's length in characters (Unicode code points, as Python's len), the
 * divisor of acc_norm; null where the task has no acc_norm (partial, completion).
 */
export interface EvalDoc {
  readonly kind: "choice" | "completion";
  readonly requests: ReadonlyArray<LlRequest>;
  readonly normLengths: ReadonlyArray<number> | null;
  readonly gold: number;
}

/** How a task file's rows become documents; "hellaswag" is multiple choice on a bare context line. */
export type TaskType = "mc" | "hellaswag" | "partial" | "completion";

export type MetricName = "acc" | "acc_norm" | "ppl";

/** The harness's metrics of each task type. */
export const metricsOf = (t: TaskType): ReadonlyArray<MetricName> =>
  t === "mc" || t === "hellaswag" ? ["acc", "acc_norm"] : t === "partial" ? ["acc"] : ["ppl", "acc"];

/** Characters as Python counts them (code points, not UTF-16 units). */
export const charLength = (s: string): number => [...s].length;

export const mcContext = (query: string): string => (query.endsWith("\n") ? `${query}Answer:` : `${query}\nAnswer:`);

const choiceDoc = (context: string, choices: ReadonlyArray<string>, gold: number): EvalDoc => ({
  kind: "choice",
  requests: choices.map((c) => ({ context, continuation: ` ${c}` })),
  normLengths: choices.map(charLength),
  gold,
});

export const mcDoc = (query: string, choices: ReadonlyArray<string>, gold: number): EvalDoc =>
  choiceDoc(mcContext(query), choices, gold);

export const hellaswagDoc = (context: string, endings: ReadonlyArray<string>, gold: number): EvalDoc =>
  choiceDoc(context, endings, gold);

export const partialDoc = (options: ReadonlyArray<string>, continuation: string, gold: number): EvalDoc => ({
  kind: "choice",
  requests: options.map((o) => ({ context: o, continuation: ` ${continuation}` })),
  normLengths: null,
  gold,
});

export const completionDoc = (context: string, continuation: string): EvalDoc => ({
  kind: "completion",
  requests: [{ context, continuation: ` ${continuation}` }],
  normLengths: null,
  gold: 0,
});
