/**
 * Waiting for a batch without polling. In Node, Dawn polls while a GPU promise is pending; it spun a
 * core, taken on a 2-core machine running lavapipe from the driver's threads (measured: a 16 × 256 step of
 * the inherited stories260K target, 1.5 s polled, 1.0 s paced; a run of `analyze`'s block probes on GPT-2
 * 124M's half-depth target, 10.2 s of kernels polled, 6.1 s paced). Its polling is now spaced a millisecond
 * apart (adapters/devices/dawn_ticks.ts); pacing still gains a little beside that (analyze 79.3 s against
 * 80.9 s without it).
 * A paced device (adapters/devices/webgpu_node.ts turns it on; Deno's wgpu needs none) sleeps, with no
 * GPU promise pending, until 90% of the time it expects the batch to take has passed since its submit,
 * and only then asks for the result; host work done between the submit and the wait (analyze counts
 * one run's spectra while the next computes) counts towards that time.
 * The expectation is kept per pacing key, per unit of work (a key's batches may differ in size: one
 * window or ten), and corrected every time: when the result still took a while, the batch took the
 * whole time from its submit (at most twice the last expectation); when it was there at once, the sleep
 * overshot by an unknown amount, so the expectation drops to 0.7 of what it was (or of the time that had passed, if
 * less).
 * A key's first two batches are polled, and only the second teaches: the first carries the driver's warm-up
 * (buffers' first touch, and lavapipe compiles a pipeline when it first runs, not when it is created). With Mesa's
 * shader cache cold that compile is most of it: a dispatch of 9 rows of matmul_forward_vec4_strided took 23 s the
 * first time at 512-bit vectors; learning 0.6 of that (as pacing once did) made each later tiny batch sleep 12.5,
 * 8, 5.5 s…, and the fast linear kernels' property file ran 11 minutes. Oversleeping idles the device while polling
 * costs little now (adapters/devices/dawn_ticks.ts), so a guess errs towards polling.
 * @module
 */

const SLEEP_SHARE = 0.9;
const OVERSLEPT_SHARE = 0.7;
const GROWTH = 2;
/** What a key holds after its first batch: seen, nothing learnt. */
const SEEN = Number.NaN;

/** What a batch's wait is paced by: its key's learnt time per unit, times its units of work. */
export interface Pace {
  readonly key: string;
  readonly units: number;
}

const paced = new WeakMap<GPUDevice, Map<string, number>>(); // key → expected ms per unit

/** Sleep before awaiting on this device from now on. */
export const enablePacing = (device: GPUDevice): void => void paced.set(device, new Map());

/** The milliseconds this batch is expected to take (0: none expected, or unpaced). */
const expectedMs = (device: GPUDevice, pace: Pace): number => {
  const perUnit = paced.get(device)?.get(pace.key) ?? SEEN;
  return Number.isNaN(perUnit) ? 0 : perUnit * pace.units;
};

/**
 * Sleeps until 90% of the batch's expected time has passed since `since` (its submit, performance.now());
 * resolves to that share in ms, from `since` (0: none expected, or unpaced).
 */
export const sleepBeforeWait = (device: GPUDevice, pace: Pace, since: number): Promise<number> => {
  const share = SLEEP_SHARE * expectedMs(device, pace), ms = since + share - performance.now();
  if (share < 2) return Promise.resolve(0);
  return ms < 2 ? Promise.resolve(share) : new Promise((res) => setTimeout(() => res(share), ms));
};

/** One wait: the share slept towards (as sleepBeforeWait resolved), ms from submit to result, ms of those polled. */
export interface Waited {
  readonly asked: number;
  readonly elapsed: number;
  readonly polled: number;
}

/** Corrects the key's expectation from one wait. */
export const recordWait = (device: GPUDevice, pace: Pace, w: Waited): void => {
  const byKey = paced.get(device);
  if (byKey === undefined || !(pace.units > 0)) return;
  const before = byKey.get(pace.key);
  if (before === undefined) return void byKey.set(pace.key, SEEN); // the warm-up: nothing to learn from
  const overslept = w.asked > 0 && w.polled < Math.max(2, 0.02 * w.asked);
  const ms = overslept ? OVERSLEPT_SHARE * Math.min(w.asked / SLEEP_SHARE, w.elapsed) : w.elapsed;
  // At most twice the last expectation: a long wait is most often a one-off (a pipeline compiled in it), and the
  // 0.7 steps down after an overslept wait are slow to undo a large overshoot; a lasting slowdown is learnt in a few.
  const perUnit = ms / pace.units;
  byKey.set(pace.key, Number.isNaN(before) ? perUnit : Math.min(perUnit, GROWTH * before));
};

/** `wait()` (its GPU promise created only now), after sleeping through the batch's expected time, which this wait then corrects. */
export const pacedWait = async <A>(
  device: GPUDevice,
  pace: Pace,
  since: number,
  wait: () => Promise<A>,
): Promise<A> => {
  const asked = await sleepBeforeWait(device, pace, since);
  const t0 = performance.now();
  const result = await wait();
  const t1 = performance.now();
  recordWait(device, pace, { asked, elapsed: t1 - since, polled: t1 - t0 });
  return result;
};
