/**
 * Waiting for a batch without polling. In Node, Dawn busy-polls a core while a GPU promise is
 * pending; on a 2-core machine running lavapipe that core is taken from the driver's threads
 * (measured: a 16 × 256 step of the inherited stories260K target, 1.5 s polled, 1.0 s paced).
 * A paced device (adapters/devices/webgpu_node.ts turns it on; Deno's wgpu needs none) sleeps after each
 * submit, with no GPU promise pending, for 90% of the time it expects the batch to take, and only
 * then asks for the result. The expectation is kept per batch label and corrected every time:
 * when the result still took a while after the sleep, the batch took sleep + poll; when it was
 * there at once, the sleep overshot by an unknown amount, so the expectation halves. A label's
 * first batch is polled as before.
 * @module
 */

const SLEEP_SHARE = 0.9;

const paced = new WeakMap<GPUDevice, Map<string, number>>();

/** Sleep before awaiting on this device from now on. */
export const enablePacing = (device: GPUDevice): void => void paced.set(device, new Map());

/** Sleeps 90% of `label`'s expected duration; resolves to the milliseconds asked for (0: none expected, or unpaced). */
export const sleepBeforeWait = (device: GPUDevice, label: string): Promise<number> => {
  const expected = paced.get(device)?.get(label);
  const ms = expected === undefined ? 0 : SLEEP_SHARE * expected;
  return ms < 2 ? Promise.resolve(0) : new Promise((res) => setTimeout(() => res(ms), ms));
};

/** Corrects `label`'s expectation from a wait: `slept` as returned above, then `polled` ms until the result. */
export const recordWait = (device: GPUDevice, label: string, slept: number, polled: number): void => {
  const byLabel = paced.get(device);
  if (byLabel === undefined) return;
  const overslept = slept > 0 && polled < Math.max(2, 0.02 * slept);
  byLabel.set(label, overslept ? slept / SLEEP_SHARE / 2 : slept + polled);
};

/** `wait()` (its GPU promise created only now), after sleeping through `label`'s expected time, which this wait then corrects. */
export const pacedWait = async <A>(device: GPUDevice, label: string, wait: () => Promise<A>): Promise<A> => {
  const slept = await sleepBeforeWait(device, label);
  const t0 = performance.now();
  const result = await wait();
  recordWait(device, label, slept, performance.now() - t0);
  return result;
};
