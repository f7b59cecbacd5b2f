/**
 * An independent reading of transformers' GPTNeoXForCausalLM and PhiForCausalLM forward, for the tests: plain
 * float64 loops over the HF tensors by their HF names, sharing no code with core/ (not its ops, names or layout).
 * GPT-NeoX: h = embed_in[ids]; per layer a = dense(attn(split(query_key_value(ln1 h)))), m = 4h_to_h(gelu(h_to_4h(ln2 ·)));
 * parallel: h + a + m with ln2 of h; else (h + a) + m with ln2 of h + a. query_key_value's output viewed as
 * (NH, 3·D): q, k, v are each head's thirds. Phi: x = input_layernorm(h); h + attn(x) + fc2(gelu_new(fc1(x))).
 * Rotary (both): the first R dims of q and k, cos/sin of pos · base^(−2i/R) over i < R/2 repeated twice,
 * x·cos + rotate_half(x)·sin with rotate_half(x) = (−x[R/2:], x[:R/2]); dims R.. pass through.
 * @module
 */
export type HfTensors = ReadonlyMap<string, Float32Array>;
export interface HfArch {
  readonly family: "gpt_neox" | "phi";
  readonly C: number;
  readonly NH: number;
  readonly NKV: number;
  readonly L: number;
  readonly V: number;
  readonly R: number; // rotary dims
  readonly base: number;
  readonly eps: number;
  readonly parallel: boolean; // GPT-NeoX use_parallel_residual
  readonly exactGelu: boolean; // hidden_act "gelu" (erf) rather than "gelu_new" (tanh)
}

const get = (w: HfTensors, name: string): Float32Array => {
  const t = w.get(name);
  if (t === undefined) throw new Error(`reference: no tensor ${name}`);
  return t;
};

/** x (T, I) · Wᵀ + b, W (O, I). */
const lin = (x: Float64Array, T: number, I: number, W: Float32Array, b?: Float32Array): Float64Array => {
  const O = W.length / I, y = new Float64Array(T * O);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < O; o++) {
      let acc = b === undefined ? 0 : b[o]!;
      for (let i = 0; i < I; i++) acc += x[t * I + i]! * W[o * I + i]!;
      y[t * O + o] = acc;
    }
  }
  return y;
};

const layerNorm = (x: Float64Array, C: number, g: Float32Array, b: Float32Array, eps: number): Float64Array => {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    const row = x.subarray(r * C, (r + 1) * C), mean = row.reduce((a, v) => a + v, 0) / C;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / C, inv = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (row[c]! - mean) * inv * g[c]! + b[c]!;
  }
  return y;
};

/** erf by its Maclaurin series below 3 (terms stay below 10⁴, so ~1e−12), and a continued fraction for erfc above. */
export const erf = (x: number): number => {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0; // erfc(a) = exp(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …))))
  for (let k = 60; k >= 1; k--) f = (k / 2) / (a + f);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
};
const gelu = (exact: boolean) => (x: number): number =>
  exact
    ? 0.5 * x * (1 + erf(x / Math.SQRT2))
    : 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** Rotate the first R dims of one head (D wide) at position pos in place. */
const rotary = (v: Float64Array, off: number, R: number, pos: number, base: number): void => {
  const half = R / 2, x = v.slice(off, off + R);
  for (let i = 0; i < R; i++) {
    const angle = pos * Math.pow(base, (-2 * (i % half)) / R);
    const rotated = i < half ? -x[i + half]! : x[i - half]!;
    v[off + i] = x[i]! * Math.cos(angle) + rotated * Math.sin(angle);
  }
};

/** Causal attention of q (T, NH·D) over k, v (T, NKV·D), kv head of query head h: h / (NH / NKV). */
const attend = (q: Float64Array, k: Float64Array, v: Float64Array, T: number, a: HfArch, D: number): Float64Array => {
  const out = new Float64Array(T * a.NH * D), group = a.NH / a.NKV;
  for (let h = 0; h < a.NH; h++) {
    const g = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const s = Array.from({ length: t + 1 }, (_, u) => {
        let d = 0;
        for (let i = 0; i < D; i++) d += q[(t * a.NH + h) * D + i]! * k[(u * a.NKV + g) * D + i]!;
        return d / Math.sqrt(D);
      });
      const m = Math.max(...s), e = s.map((x) => Math.exp(x - m)), z = e.reduce((x, y) => x + y, 0);
      for (let u = 0; u <= t; u++) {
        for (let i = 0; i < D; i++) out[(t * a.NH + h) * D + i]! += (e[u]! / z) * v[(u * a.NKV + g) * D + i]!;
      }
    }
  }
  return out;
};

/** q, k, v (T, heads·D) of one layer, before rotary. */
const projections = (w: HfTensors, a: HfArch, p: string, x: Float64Array, T: number, D: number) => {
  if (a.family === "phi") {
    const P = (n: string) =>
      [get(w, `${p}.self_attn.${n}_proj.weight`), get(w, `${p}.self_attn.${n}_proj.bias`)] as const;
    return { q: lin(x, T, a.C, ...P("q")), k: lin(x, T, a.C, ...P("k")), v: lin(x, T, a.C, ...P("v")) };
  }
  const qkv = lin(
    x,
    T,
    a.C,
    get(w, `${p}.attention.query_key_value.weight`),
    w.get(`${p}.attention.query_key_value.bias`),
  );
  const part = (j: number) =>
    Float64Array.from({ length: T * a.NH * D }, (_, i) => {
      const t = Math.floor(i / (a.NH * D)), h = Math.floor(i / D) % a.NH, d = i % D;
      return qkv[t * 3 * a.NH * D + h * 3 * D + j * D + d]!;
    });
  return { q: part(0), k: part(1), v: part(2) };
};

/** Logits (T, V) of one sequence. */
export const hfReferenceLogits = (w: HfTensors, a: HfArch, ids: ReadonlyArray<number>): Float64Array => {
  const T = ids.length, C = a.C, D = C / a.NH, neox = a.family === "gpt_neox";
  const emb = get(w, neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight");
  let h = Float64Array.from({ length: T * C }, (_, i) => emb[ids[Math.floor(i / C)]! * C + (i % C)]!);
  for (let l = 0; l < a.L; l++) {
    const p = `${neox ? "gpt_neox.layers" : "model.layers"}.${l}`;
    const ln = (n: string, x: Float64Array) =>
      layerNorm(x, C, get(w, `${p}.${n}.weight`), get(w, `${p}.${n}.bias`), a.eps);
    const x1 = ln("input_layernorm", h), { q, k, v } = projections(w, a, p, x1, T, D);
    for (let t = 0; t < T; t++) {
      for (let hd = 0; hd < a.NH; hd++) rotary(q, (t * a.NH + hd) * D, a.R, t, a.base);
      for (let hd = 0; hd < a.NKV; hd++) rotary(k, (t * a.NKV + hd) * D, a.R, t, a.base);
    }
    const dense = neox ? "attention.dense" : "self_attn.dense";
    const att = lin(attend(q, k, v, T, a, D), T, C, get(w, `${p}.${dense}.weight`), get(w, `${p}.${dense}.bias`));
    const mid = h.map((x, i) => x + att[i]!);
    const [up, down] = neox ? ["mlp.dense_h_to_4h", "mlp.dense_4h_to_h"] : ["mlp.fc1", "mlp.fc2"];
    const x2 = neox ? ln("post_attention_layernorm", a.parallel ? h : mid) : x1;
    const hidden = lin(x2, T, C, get(w, `${p}.${up}.weight`), get(w, `${p}.${up}.bias`)).map(gelu(a.exactGelu));
    const F = hidden.length / T, m = lin(hidden, T, F, get(w, `${p}.${down}.weight`), get(w, `${p}.${down}.bias`));
    h = mid.map((x, i) => x + m[i]!);
  }
  const fn = neox ? "gpt_neox.final_layer_norm" : "model.final_layernorm";
  const xf = layerNorm(h, C, get(w, `${fn}.weight`), get(w, `${fn}.bias`), a.eps);
  return neox
    ? lin(xf, T, C, get(w, "embed_out.weight"))
    : lin(xf, T, C, get(w, "lm_head.weight"), get(w, "lm_head.bias"));
};

/** The first largest entry (torch.argmax's choice on ties). */
const firstMax = (x: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
};

/** The greedy continuation of a prompt by `steps` tokens, a full forward per step. */
export const hfReferenceGreedy = (w: HfTensors, a: HfArch, prompt: ReadonlyArray<number>, steps: number): number[] => {
  const ids = [...prompt];
  while (ids.length < prompt.length + steps) {
    ids.push(firstMax(hfReferenceLogits(w, a, ids).subarray((ids.length - 1) * a.V)));
  }
  return ids.slice(prompt.length);
};
