/**
 * Batch prediction of a coded forest in WebAssembly (the text: forest-kernel.wat.ts). The same
 * walk as the JavaScript one in compiled.ts, with what JavaScript cannot drop: every typed-array
 * read there is bounds-checked, here memory is one flat region. Measured by benchmarks/models.ts:
 * 353k rows/s for the JavaScript walk, ~540k with the kernel, identical results (same leaves, summed
 * in the same order). One instance per forest, created on first use, holds the forest and a block
 * of rows at a time.
 */
import type { CodedForest, CompiledForest } from './compiled.ts';
import { FOREST_KERNEL_WASM } from './forest-kernel.wasm.ts';

/** Rows coded and walked per call. */
export const KERNEL_BLOCK = 4096;

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  code(nRows: number, stride: number, col: number, cuts: number, codes: number): void;
  walk(
    nTrees: number,
    nRows: number,
    p: number,
    nodes: number,
    roots: number,
    depth: number,
    vals: number,
    codes: number,
    out: number,
    shift: number,
    fmask: number,
  ): void;
}

interface Kernel {
  readonly x: KernelExports;
  readonly at: {
    nodes: number;
    roots: number;
    depth: number;
    vals: number;
    cuts: number;
    cols: number;
    codes: number;
    out: number;
  };
  readonly cols: Float64Array;
  readonly out: Float64Array;
}

let compiled: WebAssembly.Module | undefined;
const kernels = new WeakMap<CodedForest, Kernel>();

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Uint8Array.from(atob(FOREST_KERNEL_WASM), (ch) => ch.charCodeAt(0)));
  return compiled;
}

function kernelFor(c: CompiledForest, coded: CodedForest): Kernel {
  const hit = kernels.get(coded);
  if (hit) return hit;
  const total = coded.nodes.length;
  const p = c.features;
  let top = 0;
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 8) * 8;
    return at;
  };
  const at = {
    nodes: take(total * 4),
    roots: take(c.trees * 4),
    depth: take(c.trees * 4),
    vals: take(total * 8),
    cuts: take(p * 256 * 8),
    cols: take(KERNEL_BLOCK * 8),
    codes: take(KERNEL_BLOCK * p),
    out: take(KERNEL_BLOCK * 8),
  };
  const x = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as KernelExports;
  const pages = Math.ceil(top / 65_536) - x.memory.buffer.byteLength / 65_536;
  if (pages > 0) x.memory.grow(pages);
  const buf = x.memory.buffer;
  new Int32Array(buf, at.nodes, total).set(coded.nodes);
  new Int32Array(buf, at.roots, c.trees).set(c.roots);
  new Int32Array(buf, at.depth, c.trees).set(coded.depth);
  const vals = new Float64Array(buf, at.vals, total);
  for (let i = 0; i < total; i++) vals[i] = c.value[i * c.nOut + c.nOut - 1] as number;
  const cuts = new Float64Array(buf, at.cuts, p * 256);
  coded.cuts.forEach((e, f) => cuts.set(e, f * 256));
  const kernel = {
    x,
    at,
    cols: new Float64Array(buf, at.cols, KERNEL_BLOCK),
    out: new Float64Array(buf, at.out, KERNEL_BLOCK),
  };
  kernels.set(coded, kernel);
  return kernel;
}

/** Sums over the trees of the output (last class or value) per row, block by block in the kernel. */
export function predictKernel(
  c: CompiledForest,
  coded: CodedForest,
  columns: readonly Float64Array[],
  n: number,
): Float64Array {
  const k = kernelFor(c, coded);
  const p = c.features;
  const sums = new Float64Array(n);
  for (let r0 = 0; r0 < n; r0 += KERNEL_BLOCK) {
    const m = Math.min(n, r0 + KERNEL_BLOCK) - r0;
    // One column at a time through a column's room (32 KB), not a block of every column (9 MB
    // for the failure forests' 275): a kernel lives as long as its forest, and a retrain holds many.
    for (let f = 0; f < p; f++) {
      k.cols.set((columns[f] as Float64Array).subarray(r0, r0 + m));
      k.x.code(m, p, k.at.cols, k.at.cuts + f * 256 * 8, k.at.codes + f);
    }
    k.out.fill(0, 0, m);
    k.x.walk(
      c.trees,
      m,
      p,
      k.at.nodes,
      k.at.roots,
      k.at.depth,
      k.at.vals,
      k.at.codes,
      k.at.out,
      coded.shift,
      coded.featureMask,
    );
    sums.set(k.out.subarray(0, m), r0);
  }
  return sums;
}
