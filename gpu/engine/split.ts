/**
 * Splitting a tensor too large for one storage binding.
 *
 * A buffer may be up to `maxBufferSize` bytes, but one binding may view at most
 * `maxStorageBufferBindingSize` (lavapipe: 128 MiB; wte of a 32k × 4096 model is 512 MiB). Such a
 * tensor lives in one buffer and is bound as several views, each a whole number of rows, each
 * starting at a multiple of `minStorageBufferOffsetAlignment`. A kernel over it is dispatched
 * once per view, in the same batch, with the view's first row as a uniform (`row0`), so the
 * kernel indexes `view[(row - row0) * C + c]`. Row-wise kernels (matmul over rows, embedding
 * lookups, softmax over vocab rows of the head's output) need no other change.
 * Flat element-wise kernels (zeroing, AdamW, the clip's sums of g²) see a tensor as a run of
 * elements instead: `splitElements` cuts it at multiples of a unit (the clip's chunk), so each
 * view is dispatched with its own element count and the per-chunk results stay where they were.
 * @module
 */

export interface SplitRequest {
  readonly rows: number;
  /** Elements per row; a view never cuts a row. */
  readonly rowElements: number;
  readonly bytesPerElement: number;
  readonly maxBindingBytes: number;
  readonly offsetAlignment: number;
  /** Rows per view a multiple of this too (weights: 4, so every view has a kept Wᵀ for the fast kernels). */
  readonly rowMultiple?: number;
}

export interface BindingSpan {
  readonly firstRow: number;
  readonly rows: number;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Rows per view: the most rows that fit one binding, rounded down to a multiple of the smallest
 * row count whose byte size is a multiple of the offset alignment. Zero when a single aligned
 * group of rows does not fit.
 */
export const rowsPerBinding = (r: SplitRequest): number => {
  const rowBytes = r.rowElements * r.bytesPerElement;
  const step = groupRows(r); // rows per aligned group: the alignment's and rowMultiple's least common multiple
  return Math.floor(Math.floor(r.maxBindingBytes / rowBytes) / step) * step;
};

/** Why the rows cannot be split, or undefined when they can (into one view or several). */
export const unsplittable = (r: SplitRequest): string | undefined => {
  const rowBytes = r.rowElements * r.bytesPerElement;
  if (r.rows * rowBytes <= r.maxBindingBytes || rowsPerBinding(r) > 0) return undefined;
  return `Cannot split ${r.rows} rows of ${rowBytes} bytes into bindings of ${r.maxBindingBytes} bytes aligned to ${r.offsetAlignment}`;
};

/**
 * The views covering all rows, in order, without gaps or overlaps. Throws when the rows cannot be
 * split at all (a row group larger than a binding): the model does not fit this device.
 */
export const splitForBinding = (r: SplitRequest): readonly BindingSpan[] => {
  const rowBytes = r.rowElements * r.bytesPerElement, m = r.rowMultiple ?? 1;
  if (r.rows * rowBytes <= r.maxBindingBytes && r.rows % m === 0) {
    return [{ firstRow: 0, rows: r.rows, offsetBytes: 0, sizeBytes: r.rows * rowBytes }];
  }
  const why = unsplittable(r);
  if (why !== undefined) throw new Error(why);
  // Views of `per` rows, then the rest as its largest multiple of the aligned group and a remainder under
  // one group: with rowMultiple 4, only that remainder (at most a few rows) misses the fast kernels.
  const per = rowsPerBinding(r), step = groupRows(r), spans: BindingSpan[] = [];
  let first = 0;
  const push = (rows: number) => {
    spans.push({ firstRow: first, rows, offsetBytes: first * rowBytes, sizeBytes: rows * rowBytes });
    first += rows;
  };
  while (per > 0 && r.rows - first > per) push(per);
  const rest = r.rows - first, body = Math.floor(rest / step) * step;
  if (body > 0 && body < rest) push(body);
  if (r.rows - first > 0) push(r.rows - first);
  return spans;
};

/** The smallest row count whose bytes are a multiple of the offset alignment and of rowMultiple rows. */
const groupRows = (r: SplitRequest): number => {
  const rowBytes = r.rowElements * r.bytesPerElement, m = r.rowMultiple ?? 1;
  const aligned = r.offsetAlignment / gcd(rowBytes, r.offsetAlignment);
  return (aligned * m) / gcd(aligned, m);
};

export interface ElementRequest {
  readonly elements: number;
  /** Views start at multiples of this many elements (every view but the last holds whole units). */
  readonly unitElements: number;
  readonly bytesPerElement: number;
  readonly maxBindingBytes: number;
  readonly offsetAlignment: number;
}

/** A run of elements [first, first + count) of a flat tensor, bound on its own. */
export interface ElementSpan {
  readonly first: number;
  readonly count: number;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
}

const unitsOf = (r: ElementRequest): SplitRequest => ({
  rows: Math.ceil(r.elements / r.unitElements),
  rowElements: r.unitElements,
  bytesPerElement: r.bytesPerElement,
  maxBindingBytes: r.maxBindingBytes,
  offsetAlignment: r.offsetAlignment,
});

/** Why the elements cannot be split, or undefined when they can. */
export const unsplittableElements = (r: ElementRequest): string | undefined =>
  r.elements * r.bytesPerElement <= r.maxBindingBytes ? undefined : unsplittable(unitsOf(r));

/**
 * The element runs covering a flat tensor, in order: one when it fits a binding, else runs of the
 * most whole units that fit at aligned offsets, the last one short. Throws when one unit does not fit.
 */
export const splitElements = (r: ElementRequest): readonly ElementSpan[] => {
  const bytes = r.elements * r.bytesPerElement;
  if (bytes <= r.maxBindingBytes) return [{ first: 0, count: r.elements, offsetBytes: 0, sizeBytes: bytes }];
  const why = unsplittableElements(r);
  if (why !== undefined) throw new Error(why);
  const per = rowsPerBinding(unitsOf(r)) * r.unitElements;
  return Array.from({ length: Math.ceil(r.elements / per) }, (_, i) => {
    const count = Math.min(per, r.elements - i * per);
    return { first: i * per, count, offsetBytes: i * per * r.bytesPerElement, sizeBytes: count * r.bytesPerElement };
  });
};
