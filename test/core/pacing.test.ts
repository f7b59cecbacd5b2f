/**
 * Pacing (gpu/engine/pacing.ts): a paced device sleeps, before asking for a batch's result, until 90% of
 * the time it expects that key's units to take has passed since the submit; the expectation becomes the
 * time from submit to result after a wait that still polled, and 0.7 of itself after one whose result
 * was already there. An unpaced device and a key's first two batches never sleep, and the first teaches
 * nothing. Fake timers: nothing here depends on the machine's speed.
 * @module
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { enablePacing, recordWait, sleepBeforeWait } from "../../gpu/engine/pacing.ts";

const fakeDevice = () => ({}) as GPUDevice;
/** Whether `p` has settled once `ms` of fake time have passed. */
const settledAfter = async (p: Promise<number>, ms: number): Promise<boolean> => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(ms);
  return done;
};

const step = { key: "step", units: 1 };
const polled = (ms: number) => ({ asked: 0, elapsed: ms, polled: ms });
/** A paced device whose key has seen its first batch and then one of `ms`, polled: it expects `ms`. */
const taught = (d: GPUDevice, pace: { key: string; units: number }, ms: number): void => {
  recordWait(d, pace, polled(3 * ms));
  recordWait(d, pace, polled(ms));
};

describe("pacing a device's waits", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("an unpaced device, or a paced one's first batch of a key, does not sleep", async () => {
    vi.useFakeTimers();
    const plain = fakeDevice();
    recordWait(plain, step, polled(1000));
    expect(await sleepBeforeWait(plain, step, performance.now())).toBe(0);
    const paced = fakeDevice();
    enablePacing(paced);
    expect(await sleepBeforeWait(paced, step, performance.now())).toBe(0);
  });

  test("a key's first batch teaches nothing (lavapipe compiles in it), so the second polls too and then sets the expectation", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    recordWait(d, step, polled(23_000));
    expect(await sleepBeforeWait(d, step, performance.now())).toBe(0);
    recordWait(d, step, polled(10));
    const wait = sleepBeforeWait(d, step, performance.now());
    expect(await settledAfter(wait, 8)).toBe(false);
    expect(await settledAfter(wait, 1)).toBe(true);
    expect(await wait).toBe(9);
  });

  test("after a later polled wait of 1000 ms the next batch sleeps 900 ms; keys keep their own expectations", async () => {
    vi.useFakeTimers();
    const d = fakeDevice(), evals = { key: "eval", units: 1 };
    enablePacing(d);
    taught(d, step, 1000);
    taught(d, evals, 20);
    const wait = sleepBeforeWait(d, step, performance.now());
    expect(await settledAfter(wait, 899)).toBe(false);
    expect(await settledAfter(wait, 1)).toBe(true);
    expect(await wait).toBe(900);
    const evalWait = sleepBeforeWait(d, evals, performance.now());
    expect(await settledAfter(evalWait, 18)).toBe(true);
    expect(await evalWait).toBe(18);
  });

  test("a long wait (a pipeline compiled in it) at most doubles the expectation: 10 ms, then 5,000 ms, expects 20", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    taught(d, step, 10);
    recordWait(d, step, polled(5000));
    const wait = sleepBeforeWait(d, step, performance.now());
    expect(await settledAfter(wait, 17)).toBe(false);
    expect(await settledAfter(wait, 1)).toBe(true);
    expect(await wait).toBe(18);
  });

  test("the sleep counts from the submit: host work since then shortens it, or leaves none", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    taught(d, step, 1000);
    const submit = performance.now();
    await vi.advanceTimersByTimeAsync(600); // the host counted the last run meanwhile
    const rest = sleepBeforeWait(d, step, submit);
    expect(await settledAfter(rest, 299)).toBe(false);
    expect(await settledAfter(rest, 1)).toBe(true);
    expect(await rest).toBe(900);
    const late = sleepBeforeWait(d, step, submit - 5000);
    expect(await settledAfter(late, 0)).toBe(true);
  });

  test("an expectation is per unit: ten windows after one of 100 ms sleep 900 ms", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    taught(d, { key: "probes", units: 1 }, 100);
    const ten = sleepBeforeWait(d, { key: "probes", units: 10 }, performance.now());
    await vi.advanceTimersByTimeAsync(900);
    expect(await ten).toBe(900);
  });

  test("a sleep that found the result ready drops the expectation to 0.7; one that still polled sets it to submit → result", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    taught(d, step, 1000);
    recordWait(d, step, { asked: 900, elapsed: 1000, polled: 0.5 }); // ready at once (at 1000, the host was busy): expect 700
    const shorter = sleepBeforeWait(d, step, performance.now());
    await vi.advanceTimersByTimeAsync(630);
    expect(await shorter).toBe(630);
    recordWait(d, step, { asked: 630, elapsed: 800, polled: 170 }); // still polled: expect 800
    const settled = sleepBeforeWait(d, step, performance.now());
    await vi.advanceTimersByTimeAsync(720);
    expect(await settled).toBe(720);
  });
});
