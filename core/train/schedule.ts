/**
 * The learning rate of each step: linear warm-up over `warmup` steps, then cosine decay from the
 * peak to `minLr`, reached exactly at the last step (PAPER.md "In miniature": 10% warm-up, cosine to
 * 10% of the peak, adapters/train/settings.ts; nanoGPT's get_lr and llm.c's schedule have the same shape). Steps count from 0;
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
