/**
 * What a command may do to the outside world, handed in by the runtime shim (Node or Deno):
 * the only place that prints is here, and only cli/ holds one.
 * @module
 */
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { AcquiredDevice, DeviceError } from "../adapters/webgpu_device.ts";

export interface Io {
  readonly out: (text: string) => void; // stdout
  readonly err: (text: string) => void; // stderr
  readonly now: () => number; // ms
  readonly getDevice: () => TE.TaskEither<DeviceError, AcquiredDevice>;
  readonly assets: string; // the bundled assets/ folder, for the embedded default run
  readonly isTTY: boolean; // stdout is a terminal: progress bars are shown only then
}
