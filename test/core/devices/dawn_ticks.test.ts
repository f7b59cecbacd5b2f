/**
 * Spaced immediates (adapters/devices/dawn_ticks.ts), on a fake timer host that records what each call
 * scheduled with and runs the callbacks in order: a polling chain runs its first SPIN links as immediates
 * and the rest as 1 ms timeouts; an immediate scheduled outside any chain is never spaced; a spaced one is
 * cleared through clearTimeout. Nothing here depends on the machine's speed.
 * @module
 */
import { describe, expect, test } from "vitest";
import { spaceChains, SPACED_MS, SPIN, type TimerHost } from "../../../adapters/devices/dawn_ticks.ts";

type Callback = (...a: unknown[]) => void;

const fakeHost = () => {
  const queue: { fn: Callback; args: unknown[]; handle: object }[] = [], log: string[] = [];
  const cleared: [string, object][] = [];
  const add = (kind: string, fn: Callback, args: unknown[]) => {
    const handle = { kind };
    queue.push({ fn, args, handle });
    log.push(kind);
    return handle;
  };
  const host: TimerHost = {
    setImmediate: (fn, ...args) => add("immediate", fn, args),
    setTimeout: (fn, ms, ...args) => add(`timeout ${ms}`, fn, args),
    clearImmediate: (h) => void cleared.push(["clearImmediate", h as object]),
    clearTimeout: (h) => void cleared.push(["clearTimeout", h as object]),
  };
  const runAll = () => {
    for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
      if (!cleared.some(([, h]) => h === q.handle)) q.fn(...q.args);
    }
  };
  return { host, log, cleared, runAll };
};

describe("spacing chains of immediates", () => {
  test("a chain of SPIN + 10 links runs SPIN at once and then 10 a millisecond apart, with its arguments", () => {
    const f = fakeHost(), t = spaceChains(f.host), seen: number[] = [];
    const tick = (n: unknown) => {
      seen.push(n as number);
      if ((n as number) + 1 < SPIN + 10) t.setImmediate(tick, (n as number) + 1);
    };
    t.setImmediate(tick, 0);
    f.runAll();
    expect(seen).toEqual(Array.from({ length: SPIN + 10 }, (_, i) => i));
    expect(f.log).toEqual([...Array(SPIN).fill("immediate"), ...Array(10).fill(`timeout ${SPACED_MS}`)]);
  });

  test("immediates scheduled outside a callback, however many, are never spaced", () => {
    const f = fakeHost(), t = spaceChains(f.host);
    for (let i = 0; i < 3 * SPIN; i++) t.setImmediate(() => {});
    f.runAll();
    expect(f.log.every((k) => k === "immediate")).toBe(true);
  });

  test("a new chain after a spaced one starts at once again", () => {
    const f = fakeHost(), t = spaceChains(f.host);
    const chain = (n: number) => () => void (n > 0 && t.setImmediate(chain(n - 1)));
    t.setImmediate(chain(SPIN + 2));
    f.runAll();
    f.log.length = 0;
    t.setImmediate(chain(1));
    f.runAll();
    expect(f.log).toEqual(["immediate", "immediate"]);
  });

  test("clearImmediate of a spaced link clears its timeout; of an unspaced one, the immediate", () => {
    const f = fakeHost(), t = spaceChains(f.host), handles: unknown[] = [];
    const tick = (n: unknown) => {
      if ((n as number) < SPIN) handles.push(t.setImmediate(tick, (n as number) + 1));
    };
    tick(-1);
    f.runAll();
    const last = handles.at(-1) as { kind: string }, first = handles[0] as { kind: string };
    expect(last.kind).toBe(`timeout ${SPACED_MS}`);
    t.clearImmediate(last);
    t.clearImmediate(first);
    expect(f.cleared).toEqual([["clearTimeout", last], ["clearImmediate", first]]);
  });
});
