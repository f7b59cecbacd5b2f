/**
 * What a command may do to the outside world, handed in by the runtime shim (Node or Deno):
 * the only place that prints is here, and only cli/ holds one.
 * @module
 */
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { AcquiredDevice, DeviceError } from "../adapters/devices/webgpu_device.ts";
import type { DeviceSource } from "../adapters/devices/backend.ts";
import type { RuntimeInfo } from "../adapters/devices/adapter_line.ts";
import type { RuntimeCommand } from "../adapters/devices/doctor.ts";
import type { SystemFacts } from "../adapters/devices/system_probe.ts";

export interface Io {
  readonly out: (text: string) => void; // stdout
  readonly err: (text: string) => void; // stderr
  readonly now: () => number; // ms
  readonly getDevice: () => TE.TaskEither<DeviceError, AcquiredDevice>;
  readonly assets: string; // the bundled assets/ folder, for the embedded default run
  readonly isTTY: boolean; // stdout and stderr are terminals: the progress line (stderr, redrawn with \r) shows only then
  readonly runtime: RuntimeInfo; // Node + Dawn or Deno + wgpu, named in the adapter line
  readonly facts: () => Promise<SystemFacts>; // what an install note needs (adapters/devices/system_probe.ts)
  readonly self: () => RuntimeCommand; // this program again, as a child (doctor limits wgpu to one API)
  readonly peer: () => RuntimeCommand; // the program under the other runtime (doctor asks it what it sees)
}

/** The device source a backend choice needs (adapters/devices/backend.ts): the shim's device, notes to stderr. */
export const devicesOf = (io: Io): DeviceSource => ({
  getDevice: io.getDevice,
  note: io.err,
  runtime: io.runtime,
  facts: io.facts,
});
