/**
 * Pacing (gpu/engine/pacing.ts): a paced device sleeps, before asking for a batch's result, 90% of the
 * time it expects that label to take; the expectation becomes sleep + poll after a wait that still
 * polled, and halves after one whose result was already there. An unpaced device and a label's
 * first batch never sleep. Fake timers: nothing here depends on the machine's speed.
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

describe("pacing a device's waits", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("an unpaced device, or a paced one's first batch of a label, does not sleep", async () => {
    vi.useFakeTimers();
    const plain = fakeDevice();
    recordWait(plain, "step", 0, 1000);
    expect(await sleepBeforeWait(plain, "step")).toBe(0);
    const paced = fakeDevice();
    enablePacing(paced);
    expect(await sleepBeforeWait(paced, "step")).toBe(0);
  });

  test("after a polled wait of 1000 ms the next batch sleeps 900 ms; labels keep their own expectations", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    recordWait(d, "step", 0, 1000);
    recordWait(d, "eval", 0, 20);
    const wait = sleepBeforeWait(d, "step");
    expect(await settledAfter(wait, 899)).toBe(false);
    expect(await settledAfter(wait, 1)).toBe(true);
    expect(await wait).toBe(900);
    const evalWait = sleepBeforeWait(d, "eval");
    expect(await settledAfter(evalWait, 18)).toBe(true);
    expect(await evalWait).toBe(18);
  });

  test("a sleep that found the result ready halves the expectation; one that still polled sets it to sleep + poll", async () => {
    vi.useFakeTimers();
    const d = fakeDevice();
    enablePacing(d);
    recordWait(d, "step", 0, 1000);
    recordWait(d, "step", 900, 0.5); // overslept: expect 500
    const shorter = sleepBeforeWait(d, "step");
    await vi.advanceTimersByTimeAsync(450);
    expect(await shorter).toBe(450);
    recordWait(d, "step", 450, 350); // polled 350 more: expect 800
    const settled = sleepBeforeWait(d, "step");
    await vi.advanceTimersByTimeAsync(720);
    expect(await settled).toBe(720);
  });
});
