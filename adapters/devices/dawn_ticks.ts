/**
 * dawn.node (npm `webgpu`) waits for a GPU promise by ticking the device from a global `setImmediate`
 * callback that schedules the next tick, until the promise settles: a core spins for the whole wait, taken
 * from lavapipe's threads on a CPU adapter. Measured, analyze's block probes on GPT-2 124M's half-depth
 * target polled for one 10-window run: 653,066 ticks; that run 10.6 s wall and 20.2 CPU-s, against 7.6 s and
 * 13.6 CPU-s with the ticks spaced as below (8,979).
 * spaceChains wraps setImmediate: a chain of immediates, each scheduled from within the callback of the one
 * before (a polling loop, Dawn's or anyone's), runs its first SPIN links at once and then one a millisecond.
 * A result then comes at most about 1 ms late; a single immediate, or a short chain, runs as before. If a
 * later dawn.node stops using the global, its waits spin again: slower, never wrong.
 * @module
 */

/** Links of a chain that run at once before it is spaced: SPIN × a few µs of spinning. */
export const SPIN = 64;
export const SPACED_MS = 1;

type Callback = (...a: unknown[]) => void;

/** The timer functions the wrapper schedules with. */
export interface TimerHost {
  readonly setImmediate: (fn: Callback, ...args: unknown[]) => unknown;
  readonly clearImmediate: (h: unknown) => void;
  readonly setTimeout: (fn: Callback, ms: number, ...args: unknown[]) => unknown;
  readonly clearTimeout: (h: unknown) => void;
}

/** setImmediate and clearImmediate over `host`, with chains spaced after SPIN links. */
export const spaceChains = (host: TimerHost): Pick<TimerHost, "setImmediate" | "clearImmediate"> => {
  let link = -1; // the chain link whose callback is running now; -1: none
  const spaced = new WeakSet<object>();
  return {
    setImmediate: (fn, ...args) => {
      const mine = link + 1; // the next link of the running chain, or 0 outside any
      const run: Callback = (...a) => {
        const outer = link;
        link = mine;
        try {
          fn(...a);
        } finally {
          link = outer;
        }
      };
      if (mine < SPIN) return host.setImmediate(run, ...args);
      const t = host.setTimeout(run, SPACED_MS, ...args);
      if (typeof t === "object" && t !== null) spaced.add(t);
      return t;
    },
    clearImmediate: (h) =>
      typeof h === "object" && h !== null && spaced.has(h) ? host.clearTimeout(h) : host.clearImmediate(h),
  };
};

let installed = false;

/** Space out the process's chains of immediates from now on (idempotent): Dawn's polling among them. */
export const spacedImmediates = (): void => {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as TimerHost;
  const host: TimerHost = {
    setImmediate: g.setImmediate.bind(globalThis),
    clearImmediate: g.clearImmediate.bind(globalThis),
    setTimeout: g.setTimeout.bind(globalThis),
    clearTimeout: g.clearTimeout.bind(globalThis),
  };
  Object.assign(globalThis, spaceChains(host));
};
