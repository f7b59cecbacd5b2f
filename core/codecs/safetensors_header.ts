/**
 * The safetensors header (huggingface/safetensors, "Format"): after an 8-byte little-endian
 * length N comes N bytes of JSON, `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__"?: { string: string } }`, then the data; offsets count from the data's start.
 * Decoding checks everything a reader trusts: known dtype, shape × dtype size = byte range,
 * ranges inside the data and not overlapping. Encoding lays tensors out in the order given,
 * contiguously, and pads the JSON with spaces to a multiple of 8 bytes (as the reference writer).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { type AppError, appError } from "../errors.ts";
import { describeErrors } from "./report.ts";

export const DTYPES = { F32: 4, F16: 2, BF16: 2 } as const;
export type Dtype = keyof typeof DTYPES;
export const MAX_HEADER_BYTES = 100_000_000; // the reference reader's limit

export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: ReadonlyArray<number>;
  readonly begin: number; // byte offsets from the start of the data
  readonly end: number;
}
export interface StHeader {
  readonly tensors: ReadonlyArray<TensorEntry>; // in file order (ascending begin)
  readonly metadata: Readonly<Record<string, string>>;
}

const NonNegInt = t.refinement(t.Int, (n) => n >= 0, "NonNegativeInt");
const Entry = t.type(
  { dtype: t.string, shape: t.array(NonNegInt), data_offsets: t.tuple([NonNegInt, NonNegInt]) },
  "TensorInfo",
);
const Metadata = t.record(t.string, t.string, "Metadata");

const bad = (source: string, why: string): AppError =>
  appError(
    "BadFile",
    `Cannot read safetensors file ${source}: ${why}`,
    "the file is corrupt or not safetensors; download or export it again",
  );

const isDtype = (d: string): d is Dtype => Object.prototype.hasOwnProperty.call(DTYPES, d);

const decodeEntry = (
  source: string,
  name: string,
  raw: unknown,
  dataBytes: number,
): E.Either<AppError, TensorEntry> => {
  const r = Entry.decode(raw);
  if (E.isLeft(r)) return E.left(bad(source, `tensor ${name}: ${describeErrors(r.left)}`));
  const { dtype, shape, data_offsets: [begin, end] } = r.right;
  if (!isDtype(dtype)) {
    return E.left(
      bad(source, `tensor ${name} has dtype ${dtype}; only ${Object.keys(DTYPES).join(", ")} are supported`),
    );
  }
  if (end < begin || end > dataBytes) {
    return E.left(bad(source, `tensor ${name} has bytes [${begin}, ${end}) outside the ${dataBytes} bytes of data`));
  }
  const want = shape.reduce((a, b) => a * b, 1) * DTYPES[dtype];
  if (want !== end - begin) {
    return E.left(
      bad(
        source,
        `tensor ${name} (${dtype} [${shape.join(", ")}]) needs ${want} bytes but its range holds ${end - begin}`,
      ),
    );
  }
  return E.right({ name, dtype, shape, begin, end });
};

/**
 * Decode the header's JSON text; `dataBytes` is what the file holds after the header (Infinity to read the
 * header of a file that may be truncated, then ask pastTheEnd).
 */
export const decodeStHeader = (text: string, dataBytes: number, source: string): E.Either<AppError, StHeader> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return E.left(bad(source, "its header is not valid JSON"));
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return E.left(bad(source, "its header is not a JSON object"));
  }
  const { __metadata__: meta = {}, ...rest } = json as Record<string, unknown>;
  const m = Metadata.decode(meta);
  if (E.isLeft(m)) return E.left(bad(source, `__metadata__: ${describeErrors(m.left)}`));
  const tensors: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(rest)) {
    const e = decodeEntry(source, name, raw, dataBytes);
    if (E.isLeft(e)) return e;
    tensors.push(e.right);
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < tensors.length; i++) {
    const p = tensors[i - 1]!, c = tensors[i]!;
    if (c.begin < p.end) {
      return E.left(bad(source, `tensors ${p.name} and ${c.name} overlap (bytes ${c.begin}..${p.end})`));
    }
  }
  return E.right({ tensors, metadata: m.right });
};

/** The first tensor, in file order, whose bytes run past the `dataBytes` a file holds: the file is truncated. */
export const pastTheEnd = (h: StHeader, dataBytes: number): TensorEntry | undefined =>
  h.tensors.find((e) => e.end > dataBytes);

/** Lay out tensors contiguously in the given order: the header bytes (length prefix included) and the entries. */
export const encodeStHeader = (
  tensors: ReadonlyArray<{ readonly name: string; readonly dtype: Dtype; readonly shape: ReadonlyArray<number> }>,
  metadata: Readonly<Record<string, string>>,
): { readonly bytes: Uint8Array; readonly entries: ReadonlyArray<TensorEntry> } => {
  let off = 0;
  const entries = tensors.map((x) => {
    const n = x.shape.reduce((a, b) => a * b, 1) * DTYPES[x.dtype];
    const e = { ...x, begin: off, end: off + n };
    off += n;
    return e;
  });
  // fromEntries defines own properties, so even a tensor named "__proto__" is kept as a key
  const obj = Object.fromEntries([
    ...(Object.keys(metadata).length > 0 ? [["__metadata__", metadata]] : []),
    ...entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] }]),
  ]);
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, entries };
};
