/**
 * The WebAssembly text of the forest kernel (see forest-kernel.ts), generated rather than written
 * out: eight rows walk a tree side by side, and eight copies of one step read better as a loop here
 * than by hand. `npm run build:kernel` compiles it (wabt, a dev dependency) into
 * forest-kernel.wasm.ts; a test checks the two agree.
 *
 * Memory holds, at offsets the caller passes: nodes (i32 per node: left child relative to the
 * tree's root << shift | feature << 8 | threshold rank, the feature in the shift - 8 bits between;
 * leaves loop onto themselves with rank 255),
 * roots and depths (i32 per tree), the leaf values (f64 per node), cuts (256 f64 per feature,
 * ascending, padded with +Infinity), room for one column of a block (f64), the block's codes (u8,
 * row-major) and the sums out (f64 per row).
 */

/** Rows walking a tree side by side: independent chains the CPU overlaps (8 measured best). */
export const LANES = 8;

const STEPS = [128, 64, 32, 16, 8, 4, 2, 1];

/**
 * code(nRows, stride, col, cuts, codes): codes[r * stride] = count of the feature's cuts (at `cuts`)
 * below col[r]. A caller codes a block one column at a time, so only one column's values need room.
 */
function codeFunc(): string {
  const search = STEPS.map(
    (s) => `
        (local.set $pos (i32.add (local.get $pos) (select (i32.const ${s}) (i32.const 0)
          (f64.lt (f64.load (i32.add (local.get $cuts) (i32.shl (i32.add (local.get $pos) (i32.const ${s - 1})) (i32.const 3))))
                  (local.get $x)))))`,
  ).join('');
  return `
  (func (export "code") (param $nRows i32) (param $stride i32) (param $col i32) (param $cuts i32) (param $codes i32)
    (local $r i32) (local $src i32) (local $dst i32) (local $x f64) (local $pos i32)
    (local.set $src (local.get $col))
    (local.set $dst (local.get $codes))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $nRows)))
      (local.set $x (f64.load (local.get $src)))
      (local.set $pos (i32.const 0))${search}
      (i32.store8 (local.get $dst) (local.get $pos))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop)))
  )`;
}

/** One step of lane k: node = left(node) + (code of its feature > its rank). */
function step(n: string, b: string): string {
  return `
          (local.set $v (i32.load (i32.add (local.get $tb) (i32.shl (local.get ${n}) (i32.const 2)))))
          (local.set ${n} (i32.add (i32.shr_u (local.get $v) (local.get $shift))
            (i32.gt_u (i32.load8_u (i32.add (local.get ${b}) (i32.and (i32.shr_u (local.get $v) (i32.const 8)) (local.get $fmask))))
                      (i32.and (local.get $v) (i32.const 255)))))`;
}

/** out[r] += the leaf value of lane k's row. */
function accumulate(row: string, n: string): string {
  const at = `(i32.add (local.get $out) (i32.shl ${row} (i32.const 3)))`;
  return `
        (f64.store ${at} (f64.add (f64.load ${at})
          (f64.load (i32.add (local.get $vb) (i32.shl (local.get ${n}) (i32.const 3))))))`;
}

/**
 * walk(nTrees, nRows, p, nodes, roots, depth, vals, codes, out, shift, fmask): out[r] += every
 * tree's leaf value; `shift` places the left child in a node, `fmask` keeps its feature.
 */
function walkFunc(): string {
  const lanes = Array.from({ length: LANES }, (_, k) => k);
  return `
  (func (export "walk") (param $nTrees i32) (param $nRows i32) (param $p i32) (param $nodes i32)
        (param $roots i32) (param $depth i32) (param $vals i32) (param $codes i32) (param $out i32)
        (param $shift i32) (param $fmask i32)
    (local $t i32) (local $r i32) (local $d i32) (local $steps i32) (local $tb i32) (local $vb i32)
    (local $v i32) (local $root i32) (local $lanesEnd i32) (local $n i32) (local $b i32)
    ${lanes.map((k) => `(local $n${k} i32) (local $b${k} i32)`).join(' ')}
    (local.set $lanesEnd (i32.sub (local.get $nRows) (i32.rem_u (local.get $nRows) (i32.const ${LANES}))))
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $t) (local.get $nTrees)))
      (local.set $root (i32.load (i32.add (local.get $roots) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $steps (i32.load (i32.add (local.get $depth) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $tb (i32.add (local.get $nodes) (i32.shl (local.get $root) (i32.const 2))))
      (local.set $vb (i32.add (local.get $vals) (i32.shl (local.get $root) (i32.const 3))))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $lanesEnd)))${lanes
          .map(
            (k) => `
        (local.set $b${k} (i32.add (local.get $codes) (i32.mul (i32.add (local.get $r) (i32.const ${k})) (local.get $p))))
        (local.set $n${k} (i32.const 0))`,
          )
          .join('')}
        (local.set $d (local.get $steps))
        (block $dDone (loop $dLoop
          (br_if $dDone (i32.eqz (local.get $d)))${lanes.map((k) => step(`$n${k}`, `$b${k}`)).join('')}
          (local.set $d (i32.sub (local.get $d) (i32.const 1)))
          (br $dLoop)))${lanes.map((k) => accumulate(`(i32.add (local.get $r) (i32.const ${k}))`, `$n${k}`)).join('')}
        (local.set $r (i32.add (local.get $r) (i32.const ${LANES})))
        (br $rLoop)))
      (block $sDone (loop $sLoop
        (br_if $sDone (i32.ge_u (local.get $r) (local.get $nRows)))
        (local.set $b (i32.add (local.get $codes) (i32.mul (local.get $r) (local.get $p))))
        (local.set $n (i32.const 0))
        (local.set $d (local.get $steps))
        (block $d1Done (loop $d1Loop
          (br_if $d1Done (i32.eqz (local.get $d)))${step('$n', '$b')}
          (local.set $d (i32.sub (local.get $d) (i32.const 1)))
          (br $d1Loop)))${accumulate('(local.get $r)', '$n')}
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $sLoop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tLoop)))
  )`;
}

export function forestKernelWat(): string {
  return `;; Generated by models/forest-kernel.wat.ts: do not edit.
(module
  (memory (export "memory") 1)${codeFunc()}${walkFunc()}
)
`;
}
