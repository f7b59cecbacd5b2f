/**
 * The learning rate of each step: linear warm-up over `warmup` steps, then cosine decay from the
 * peak to `minLr`, reached exactly at the last step (PAPER.md "In miniature": 10% warm-up, cosine to
 * 10% of the peak; nanoGPT's get_lr and llm.c's schedule have the same shape). Steps count from 0;
 * step s of a warm-up has lr·(s+1)/warmup, so the first update is not zero.
 * @module
 */

export interface Schedule {
  readonly lr: number; // peak
  readonly minLr: number;
  readonly warmup: number; // steps
  readonly steps: number; // total steps of the run
}

export const learningRate = (s: Schedule, step: number): number => {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  const span = s.steps - 1 - s.warmup;
  if (span <= 0) return s.lr; // no room to decay: a run of only warm-up (and its peak step)
  const ratio = Math.min(1, (step - s.warmup) / span);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.lr - s.minLr);
};

/** The paper's defaults for a run of `steps`: 10% warm-up (at least one step), floor 10% of the peak. */
export const defaultSchedule = (lr: number, steps: number): Schedule =>
  ({ lr, minLr: lr / 10, warmup: Math.max(1, Math.round(steps / 10)), steps });
