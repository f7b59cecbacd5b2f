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
 * whole time from its submit; when it was there at once, the sleep overshot by an unknown amount, so
 * the expectation drops to 0.7 of what it was (or of the time that had passed, if less).
 * A key's first batch is polled as before, and counts only 0.6 of its time: it carries the driver's
 * warm-up (pipelines' first runs, buffers' first touch) and the slowdown of the poll itself. Measured on
 * lavapipe, 2 cores, the first batch against the ones after: analyze's block probes 14.0 s against 7.3 s,
 * the same probes alone 11.2 against 6.5, GPT-2 124M's half-depth training step 51 against 44. Oversleeping
 * idles the device while polling only slows it, so the first guess errs short.
 * @module
 */

const SLEEP_SHARE = 0.9;
const OVERSLEPT_SHARE = 0.7;
const FIRST_SHARE = 0.6;

/** What a batch's wait is paced by: its key's learnt time per unit, times its units of work. */
export interface Pace {
  readonly key: string;
  readonly units: number;
}

const paced = new WeakMap<GPUDevice, Map<string, number>>(); // key → expected ms per unit

/** Sleep before awaiting on this device from now on. */
export const enablePacing = (device: GPUDevice): void => void paced.set(device, new Map());

/** The milliseconds this batch is expected to take (0: none expected, or unpaced). */
const expectedMs = (device: GPUDevice, pace: Pace): number => (paced.get(device)?.get(pace.key) ?? 0) * pace.units;

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
  const first = !byKey.has(pace.key), overslept = w.asked > 0 && w.polled < Math.max(2, 0.02 * w.asked);
  const ms = first
    ? FIRST_SHARE * w.elapsed
    : overslept
    ? OVERSLEPT_SHARE * Math.min(w.asked / SLEEP_SHARE, w.elapsed)
    : w.elapsed;
  byKey.set(pace.key, ms / pace.units);
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
