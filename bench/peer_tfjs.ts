/**
 * The peer: the same GPT-2 style model (core/model/spec.ts shapes: learned positions, pre-LayerNorm,
 * causal multi-head attention, tanh GELU, tied head), batch and optimizer (AdamW with decoupled
 * weight decay on matrices, global-norm clip) written with TensorFlow.js's public API, trained on
 * a tfjs backend: "webgpu" on Dawn's adapter (the one our engine uses), "wasm", "cpu".
 * tfjs is loaded only when the bench runs, by a specifier bundlers leave alone (a devDependency:
 * the CLI bundle neither contains nor needs it).
 * @module
 */
import type * as TF from "@tensorflow/tfjs";
import type { Gpt2Spec } from "../core/model/spec.ts";
import type { Hyper } from "../core/train/trainer.ts";

export type PeerBackend = "webgpu" | "wasm" | "cpu";

type Tensor = TF.Tensor;
type Vars = Record<string, TF.Variable>;

const load = (name: string): Promise<unknown> => import(name);

/** Node has no navigator.gpu: give tfjs a second Dawn instance (the `webgpu` package), on the same adapter. */
const installNavigatorGpu = async (): Promise<void> => {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu !== undefined) return;
  const dawn = (await load("webgpu")) as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  for (const [k, val] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: val });
  if (g.navigator === undefined) Object.assign(globalThis, { navigator: {} });
  Object.defineProperty(g.navigator!, "gpu", { value: dawn.create([]), configurable: true });
};

const loadTf = async (backend: PeerBackend): Promise<typeof TF> => {
  const tf = (await load("@tensorflow/tfjs")) as typeof TF;
  if (backend === "webgpu") {
    await installNavigatorGpu();
    await load("@tensorflow/tfjs-backend-webgpu");
  }
  if (backend === "wasm") {
    const wasm = (await load("@tensorflow/tfjs-backend-wasm")) as { setWasmPaths: (dir: string) => void };
    const { createRequire } = await import("node:module");
    const dir = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm").replace(/[^/\\]+$/, "");
    wasm.setWasmPaths(dir);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`Cannot start tfjs backend ${backend}`);
  await tf.ready();
  return tf;
};

const params = (tf: typeof TF, s: Gpt2Spec, T: number): Vars => {
  const C = s.nEmbd, F = s.nInner, v: Vars = {};
  const mat = (n: string, shape: number[]) => (v[n] = tf.variable(tf.randomNormal(shape, 0, 0.02), true));
  const vec = (
    n: string,
    len: number,
    one: boolean,
  ) => (v[n] = tf.variable(one ? tf.ones([len]) : tf.zeros([len]), true));
  mat("wte", [s.vocabSize, C]);
  mat("wpe", [T, C]);
  for (let l = 0; l < s.nLayer; l++) {
    vec(`${l}.ln1w`, C, true);
    vec(`${l}.ln1b`, C, false);
    mat(`${l}.qkvw`, [C, 3 * C]);
    vec(`${l}.qkvb`, 3 * C, false);
    mat(`${l}.projw`, [C, C]);
    vec(`${l}.projb`, C, false);
    vec(`${l}.ln2w`, C, true);
    vec(`${l}.ln2b`, C, false);
    mat(`${l}.fcw`, [C, F]);
    vec(`${l}.fcb`, F, false);
    mat(`${l}.fcprojw`, [F, C]);
    vec(`${l}.fcprojb`, C, false);
  }
  vec("lnfw", C, true);
  vec("lnfb", C, false);
  return v;
};

const layerNorm = (tf: typeof TF, x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor => {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w), b);
};

const gelu = (tf: typeof TF, x: Tensor): Tensor =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));

/**
 * Mean next-token cross-entropy of the model on tokens (B, T). tfjs-wasm has no gradient for
 * gather (UnsortedSegmentSum), so there the embedding is a one-hot matmul (V·C more FLOPs a token).
 */
const loss = (
  tf: typeof TF,
  s: Gpt2Spec,
  v: Vars,
  tokens: Tensor,
  targets: Tensor,
  B: number,
  T: number,
  mask: Tensor,
  oneHotEmbed: boolean,
): TF.Scalar => {
  const C = s.nEmbd,
    NH = s.nHead,
    D = C / NH,
    lin = (x: Tensor, w: string, b: string) => tf.add(tf.matMul(x, v[w]!), v[b]!);
  const flat = tf.reshape(tokens, [B * T]);
  const emb = oneHotEmbed ? tf.matMul(tf.oneHot(flat, s.vocabSize), v.wte!) : tf.gather(v.wte!, flat);
  let x = tf.add(tf.reshape(emb, [B, T, C]), v.wpe!); // (B, T, C)
  for (let l = 0; l < s.nLayer; l++) {
    const h = tf.reshape(layerNorm(tf, x, v[`${l}.ln1w`]!, v[`${l}.ln1b`]!, s.normEps), [B * T, C]);
    const qkv = tf.transpose(tf.reshape(lin(h, `${l}.qkvw`, `${l}.qkvb`), [B, T, 3, NH, D]), [2, 0, 3, 1, 4]); // (3, B, NH, T, D)
    const [q, k, vv] = tf.unstack(qkv);
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(q!, k!, false, true), 1 / Math.sqrt(D)), mask)); // (B, NH, T, T)
    const y = tf.reshape(tf.transpose(tf.matMul(att, vv!), [0, 2, 1, 3]), [B * T, C]);
    x = tf.add(x, tf.reshape(lin(y, `${l}.projw`, `${l}.projb`), [B, T, C]));
    const h2 = tf.reshape(layerNorm(tf, x, v[`${l}.ln2w`]!, v[`${l}.ln2b`]!, s.normEps), [B * T, C]);
    x = tf.add(
      x,
      tf.reshape(lin(gelu(tf, lin(h2, `${l}.fcw`, `${l}.fcb`)), `${l}.fcprojw`, `${l}.fcprojb`), [B, T, C]),
    );
  }
  const logits = tf.matMul(tf.reshape(layerNorm(tf, x, v.lnfw!, v.lnfb!, s.normEps), [B * T, C]), v.wte!, false, true);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(targets, [B * T]), s.vocabSize), logits) as TF.Scalar;
};

export interface PeerTrainer {
  step(tokens: Int32Array, targets: Int32Array): Promise<number>;
  dispose(): void;
}

/** A tfjs trainer for spec at batch B × T on the backend. */
export const createPeer = async (
  backend: PeerBackend,
  s: Gpt2Spec,
  B: number,
  T: number,
  hp: Hyper,
): Promise<PeerTrainer> => {
  const tf = await loadTf(backend);
  const v = params(tf, s, T), names = Object.keys(v);
  const m = Object.fromEntries(names.map((n) => [n, tf.variable(tf.zerosLike(v[n]!), false)]));
  const sq = Object.fromEntries(names.map((n) => [n, tf.variable(tf.zerosLike(v[n]!), false)]));
  const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9);
  let t = 0;
  return {
    step: async (tokens, targets) => {
      t += 1;
      const bc1 = 1 - hp.beta1 ** t, bc2 = 1 - hp.beta2 ** t;
      const value = tf.tidy(() => {
        const tk = tf.tensor2d(tokens, [B, T], "int32"), tg = tf.tensor2d(targets, [B, T], "int32");
        const { value, grads } = tf.variableGrads(() => loss(tf, s, v, tk, tg, B, T, mask, backend === "wasm"));
        // a chain of adds: tfjs-webgpu's AddN over many inputs is a pipeline Dawn rejects
        const grad = (n: string) => grads[v[n]!.name]!; // variableGrads keys by the variables' own names
        const norm = tf.sqrt(names.reduce((acc: Tensor, n) => tf.add(acc, tf.sum(tf.square(grad(n)))), tf.scalar(0)));
        const scale = tf.minimum(1, tf.div(hp.gradClip, tf.add(norm, 1e-6)));
        for (const n of names) {
          const g = tf.mul(grad(n), scale);
          m[n]!.assign(tf.add(tf.mul(m[n]!, hp.beta1), tf.mul(g, 1 - hp.beta1)));
          sq[n]!.assign(tf.add(tf.mul(sq[n]!, hp.beta2), tf.mul(tf.square(g), 1 - hp.beta2)));
          const upd = tf.div(tf.div(m[n]!, bc1), tf.add(tf.sqrt(tf.div(sq[n]!, bc2)), hp.eps));
          const decay = v[n]!.rank >= 2 ? tf.mul(v[n]!, hp.weightDecay) : tf.zerosLike(v[n]!);
          v[n]!.assign(tf.sub(v[n]!, tf.mul(tf.add(upd, decay), hp.lr)));
        }
        return value;
      });
      const out = (await value.data())[0]!;
      value.dispose();
      return out;
    },
    dispose: () => {
      [...Object.values(v), ...Object.values(m), ...Object.values(sq), mask].forEach((x) => x.dispose());
    },
  };
};
