// Fused ops: one registered kernel that runs a fixed sequence of the backend's own kernels.
//
// Every tfjs op pays the engine's dispatch (tensor tracking, scopes, the autodiff tape, a copy
// of every tensor saved for the gradient) on top of the backend kernel itself; on wasm that is
// most of the cost of a small op. A fused op calls the backend's kernels directly, inside one
// engine op, so the whole sequence pays the engine once. The kernels and their order are those
// of the tfjs ops it replaces, on whatever backend is active, so results are bit for bit the
// same as the unfused ops'.

import * as tf from '../tf.js';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** What the wasm backend offers beyond KernelBackend: outputs in its heap, and views of them. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array;
}

/** What the kernels run inside fused ops cost, by kernel name (scripts/profile-kernels.mjs). */
export interface InnerKernelStats {
  calls: number;
  /** Wall milliseconds around the kernel (wasm and cpu run synchronously). */
  ms: number;
  /** Values written. */
  elements: number;
}

let inner: Map<string, InnerKernelStats> | undefined;

/**
 * Start timing every kernel that fused ops run (a fresh map, filled as they run), or stop
 * (`false`, returns undefined). tf.profile sees a fused op as one kernel; this sees inside it.
 */
export function profileInnerKernels(on: boolean): Map<string, InnerKernelStats> | undefined {
  inner = on ? new Map() : undefined;
  return inner;
}

function record(name: string, t0: number, outputs: Info[]): void {
  const e = inner!.get(name) ?? {calls: 0, ms: 0, elements: 0};
  e.calls++;
  e.ms += performance.now() - t0;
  for (const o of outputs) e.elements += o.shape.reduce((a, b) => a * b, 1);
  inner!.set(name, e);
}

/** Runs backend kernels directly; intermediates are freed by `done` unless kept. */
export class KernelCalls {
  private readonly temps: Info[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    const kernel = tf.getKernel(kernelName, this.backendName);
    if (!kernel) throw new Error(`backend ${this.backendName} has no ${kernelName} kernel`);
    const t0 = inner ? performance.now() : 0;
    const out = kernel.kernelFunc({inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap});
    if (Array.isArray(out)) throw new Error(`${kernelName} returned several tensors`);
    if (inner) record(kernelName, t0, [out]);
    this.temps.push(out);
    return out;
  }

  /** A constant made on the backend (freed with the intermediates). */
  constant(values: number[], shape: number[], dtype: 'float32' | 'int32' = 'float32'): Info {
    const data = dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
    const info = {dataId: this.backend.write(data, shape, dtype), shape, dtype};
    this.temps.push(info);
    return info;
  }

  /**
   * The same data with another shape of the same size: the backend's Reshape (on wasm and cpu
   * a second reference to the same data; tfjs-node keeps the shape in its own handle).
   */
  reshaped(info: Info, shape: number[]): Info {
    return this.run(tf.Reshape, {x: info}, {shape});
  }

  /**
   * Entry `index` of x's leading axis as its own tensor (x.shape without the first axis): a
   * contiguous copy. On wasm through views of its heap, as the backend's Slice kernel first
   * copies the whole of x out of the heap (1.2 ms for a 3×784×100 x, against 0.05 ms).
   */
  leading(x: Info, index: number): Info {
    const shape = x.shape.slice(1);
    if (this.backendName !== 'wasm') {
      const begin = x.shape.map((_, i) => (i === 0 ? index : 0));
      return this.reshaped(this.run(tf.Slice, {x}, {begin, size: [1, ...shape]}), shape);
    }
    const heap = this.backend as unknown as WasmHeap;
    // The output first: allocating may grow the heap, which detaches earlier views.
    const out = heap.makeOutput(shape, x.dtype);
    this.temps.push(out);
    const size = shape.reduce((a, b) => a * b, 1);
    heap.typedArrayFromHeap(out).set(heap.typedArrayFromHeap(x).subarray(index * size, (index + 1) * size));
    return out;
  }

  /**
   * Blocks of columns of x, seen as [rows, n] with rows its first axis and n the product of the
   * others: block k is columns [starts[k], starts[k] + width) of every row, as [rows, width]. On
   * wasm one memcpy-like copy per row through views of its heap (the backend's StridedSlice walks
   * element by element: ~25 ns an element, a third of the LSTM step); elsewhere StridedSlice.
   * A copy either way, so the values are the same bits.
   */
  columns(x: Info, starts: number[], width: number): Info[] {
    const rows = x.shape[0]!;
    const n = x.shape.slice(1).reduce((a, b) => a * b, 1);
    if (this.backendName !== 'wasm') {
      const flat = this.reshaped(x, [rows, n]);
      return starts.map((s) => this.run(tf.StridedSlice, {x: flat}, {begin: [0, s], end: [rows, s + width], strides: [1, 1], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0}));
    }
    const heap = this.backend as unknown as WasmHeap;
    const t0 = inner ? performance.now() : 0;
    // The outputs first: allocating may grow the heap, which detaches earlier views.
    const outs = starts.map(() => heap.makeOutput([rows, width], x.dtype));
    this.temps.push(...outs);
    const from = heap.typedArrayFromHeap(x);
    outs.forEach((out, k) => {
      const to = heap.typedArrayFromHeap(out);
      const s = starts[k]!;
      for (let r = 0; r < rows; r++) to.set(from.subarray(r * n + s, r * n + s + width), r * width);
    });
    if (inner) record('columns (copies through the heap)', t0, outs);
    return outs;
  }

  /** Free every intermediate except `outputs`, which are returned. */
  done<T extends Info | Info[]>(outputs: T): T {
    // By object, not data: a reshape's result and its input may share data, each holding a reference.
    const keep = new Set<Info>(Array.isArray(outputs) ? outputs : [outputs]);
    for (const t of this.temps) if (!keep.has(t)) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
    return outputs;
  }
}

const registered = new Set<string>();

/**
 * Register `kernelName` for the active backend (once) with `body` as its kernel, and return
 * the backend's name. `body` runs the backend's kernels through `KernelCalls`.
 */
export function ensureFusedKernel(kernelName: string, body: (k: KernelCalls, inputs: Record<string, Info>, attrs: Attrs) => Info | Info[]): string {
  const backendName = tf.getBackend();
  const key = `${kernelName}@${backendName}`;
  if (!registered.has(key)) {
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({inputs, backend, attrs}) => body(new KernelCalls(backend as tf.KernelBackend, backendName), inputs as Record<string, Info>, attrs as Attrs),
    });
    registered.add(key);
  }
  return backendName;
}
