/**
 * Paths of the bundled real assets (assets/README.md gives their origin and licence).
 * @module
 */
import { fileURLToPath } from "node:url";

const at = (p: string) => fileURLToPath(new URL(`../assets/${p}`, import.meta.url));
export const STORIES_BIN = at("stories260K/stories260K.bin");
export const STORIES_TOK = at("stories260K/tok512.bin");
export const STORIES_Q80 = at("stories260K/stories260K_q80.bin");
export const STORIES_GOLDEN = at("stories260K/golden_run_c_t0_n256.txt");
export const TINYSTORIES_TEXT = at("text/tinystories_val_excerpt.txt");

/** The 256 greedy ids of run.c on stories260K from BOS (shared/data/README.md, section 1). */
export const GOLDEN_IDS = `403 407 261 378 432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337
410 408 419 292 411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352
266 268 388 426 338 391 266 267 337 335 312 432 398 312 286 267 414 270 333 415
426 13 438 310 439 419 357 336 432 313 438 310 432 278 316 439 419 298 414 267
265 282 295 433 426 436 317 286 296 418 269 279 292 416 439 413 409 416 327 263
415 294 267 400 426 338 336 432 313 442 391 267 337 335 364 420 268 388 432 398
359 280 303 439 413 272 417 264 312 426 436 13 438 310 286 296 418 269 279 292
416 439 413 409 416 327 263 415 294 267 400 426 338 336 432 313 442 439 423 262
304 420 422 432 317 426 359 279 292 416 439 413 409 416 327 263 415 294 267 400
426 436 13 438 310 279 292 416 439 413 391 267 281 421 427 311 357 432 384 358
336 432 313 442 439 423 262 304 420 422 432 357 426 359 279 292 416 439 413 409
416 327 263 415 294 267 400 426 436 320 285 357 336 432 313 455 289 439 413 263
304 420 422 432 317 426 410 448 411 280 303 281 421 427 364 426`.split(/\s+/).map(Number);
export const TINY656K_DIR = at("tinystories656K");
/** tinystories656K's greedy ids from BOS, from an independent numpy forward (shared/data/README.md, section 2). */
export const TINY656K_GREEDY_PREFIX = [
  147,
  201,
  282,
  215,
  286,
  598,
  1662,
  356,
  499,
  826,
  1363,
  1145,
  1652,
  615,
  242,
  1482,
  951,
  628,
  499,
  826,
  872,
  921,
  318,
  385,
  628,
  499,
  826,
  617,
  242,
  198,
];
