;; The elementwise passes of the two-layer relu network, in WebAssembly SIMD (two-layer-passes.ts
;; says why). Over the N×m hidden layer: U (row-major, N rows of m) is the sgemm output a1 X W1ᵀ,
;; cb the bias term c1 b1 (zeros without a bias). Over the n×n tracked kernel: its lower triangle.
;; Pointers are byte offsets into the imported memory.
(module
  (memory (import "env" "memory") 1)

  ;; out_i = a2 Σ_k relu(u_ik) w2_k + off, u_ik = U_ik + cb_k, summed in float64 (the float32
  ;; products are exact there). With $mask ≠ 0 the pass also overwrites U by 1[u > 0], the
  ;; activation mask the backward pass multiplies with. relu is f32x4.max(u, 0): a NaN stays NaN.
  (func (export "reluReadout")
    (param $u i32) (param $rows i32) (param $m i32) (param $w2 i32) (param $cb i32)
    (param $out i32) (param $a2 f64) (param $off f64) (param $mask i32)
    (local $i i32) (local $k i32) (local $p i32) (local $m4 i32)
    (local $v v128) (local $r v128) (local $w v128) (local $acc0 v128) (local $acc1 v128)
    (local $s f64) (local $x f32)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $p (local.get $u))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $acc0 (f64x2.splat (f64.const 0)))
        (local.set $acc1 (f64x2.splat (f64.const 0)))
        (local.set $k (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $k) (local.get $m4)))
            (local.set $v
              (f32x4.add
                (v128.load (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 2))))
                (v128.load (i32.add (local.get $cb) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $r (f32x4.max (local.get $v) (f32x4.splat (f32.const 0))))
            (local.set $w (v128.load (i32.add (local.get $w2) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $acc0
              (f64x2.add (local.get $acc0)
                (f64x2.mul (f64x2.promote_low_f32x4 (local.get $r)) (f64x2.promote_low_f32x4 (local.get $w)))))
            (local.set $acc1
              (f64x2.add (local.get $acc1)
                (f64x2.mul
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $r) (local.get $r)))
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
            (if (local.get $mask)
              (then
                (v128.store (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 2)))
                  (v128.and (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1))))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $vec)))
        (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
        (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
        ;; the m mod 4 columns left
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $m)))
            (local.set $x
              (f32.add
                (f32.load (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 2))))
                (f32.load (i32.add (local.get $cb) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $s
              (f64.add (local.get $s)
                (f64.mul
                  (f64.promote_f32 (f32.max (local.get $x) (f32.const 0)))
                  (f64.promote_f32 (f32.load (i32.add (local.get $w2) (i32.shl (local.get $k) (i32.const 2))))))))
            (if (local.get $mask)
              (then
                (f32.store (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 2)))
                  (select (f32.const 1) (f32.const 0) (f32.gt (local.get $x) (f32.const 0))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tail)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.demote_f64 (f64.add (f64.mul (local.get $a2) (local.get $s)) (local.get $off))))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $m) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; The factors of the empirical NTK: H = relu(u) and D = dk ⊙ 1[u > 0], u = U + cb (all N×m),
  ;; computed in float32. With $wide ≠ 0, H and D are float64 arrays (for float64 kernel GEMMs):
  ;; the float32 values promoted, which is exact, so both layouts hold the same numbers.
  (func (export "reluFactors")
    (param $u i32) (param $rows i32) (param $m i32) (param $dk i32) (param $cb i32) (param $h i32) (param $d i32)
    (param $wide i32)
    (local $i i32) (local $k i32) (local $o i32) (local $o8 i32) (local $m4 i32)
    (local $v v128) (local $r v128) (local $e v128) (local $x f32) (local $rx f32) (local $ex f32)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u (local.get $k) (local.get $m4)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $k)) (i32.const 2)))
            (local.set $v
              (f32x4.add
                (v128.load (i32.add (local.get $u) (local.get $o)))
                (v128.load (i32.add (local.get $cb) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $r (f32x4.max (local.get $v) (f32x4.splat (f32.const 0))))
            (local.set $e
              (v128.and
                (f32x4.gt (local.get $v) (f32x4.splat (f32.const 0)))
                (v128.load (i32.add (local.get $dk) (i32.shl (local.get $k) (i32.const 2))))))
            (if (local.get $wide)
              (then
                (local.set $o8 (i32.shl (local.get $o) (i32.const 1)))
                (v128.store (i32.add (local.get $h) (local.get $o8)) (f64x2.promote_low_f32x4 (local.get $r)))
                (v128.store (i32.add (local.get $h) (i32.add (local.get $o8) (i32.const 16)))
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $r) (local.get $r))))
                (v128.store (i32.add (local.get $d) (local.get $o8)) (f64x2.promote_low_f32x4 (local.get $e)))
                (v128.store (i32.add (local.get $d) (i32.add (local.get $o8) (i32.const 16)))
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e)))))
              (else
                (v128.store (i32.add (local.get $h) (local.get $o)) (local.get $r))
                (v128.store (i32.add (local.get $d) (local.get $o)) (local.get $e))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $vec)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $k) (local.get $m)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $m)) (local.get $k)) (i32.const 2)))
            (local.set $x
              (f32.add
                (f32.load (i32.add (local.get $u) (local.get $o)))
                (f32.load (i32.add (local.get $cb) (i32.shl (local.get $k) (i32.const 2))))))
            (local.set $rx (f32.max (local.get $x) (f32.const 0)))
            (local.set $ex
              (select (f32.load (i32.add (local.get $dk) (i32.shl (local.get $k) (i32.const 2)))) (f32.const 0)
                (f32.gt (local.get $x) (f32.const 0))))
            (if (local.get $wide)
              (then
                (local.set $o8 (i32.shl (local.get $o) (i32.const 1)))
                (f64.store (i32.add (local.get $h) (local.get $o8)) (f64.promote_f32 (local.get $rx)))
                (f64.store (i32.add (local.get $d) (local.get $o8)) (f64.promote_f32 (local.get $ex))))
              (else
                (f32.store (i32.add (local.get $h) (local.get $o)) (local.get $rx))
                (f32.store (i32.add (local.get $d) (local.get $o)) (local.get $ex))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tail)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

;; The tracked kernel from its GEMM outputs, with its summaries (two-layer-kernel.ts):
  ;;   Θ_ij = xz_ij P_ij + c2s + a2s Q_ij            (lower triangle j ≤ i, stored into T)
  ;;   ‖Θ‖²_F, ‖Θ − R‖²_F, yᵀΘy                     (off-diagonal entries counted twice)
  ;; xz, T, R float64; P, Q float32 (the sgemm outputs); y float32; the three sums, float64, to $out.
  ;; Two columns per step (f64x2), the odd one and the diagonal after.
  (func (export "combineKernel")
    (param $n i32) (param $xz i32) (param $p i32) (param $q i32) (param $t i32) (param $r i32) (param $y i32)
    (param $c2s f64) (param $a2s f64) (param $out i32)
    (local $i i32) (local $j i32) (local $o i32) (local $o4 i32)
    (local $v v128) (local $e v128) (local $rf v128) (local $rd v128) (local $ry v128)
    (local $fro f64) (local $diff f64) (local $yky f64) (local $sf f64) (local $sd f64) (local $sy f64)
    (local $vs f64) (local $es f64) (local $yi f64)
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $rf (f64x2.splat (f64.const 0)))
        (local.set $rd (f64x2.splat (f64.const 0)))
        (local.set $ry (f64x2.splat (f64.const 0)))
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $i)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (local.set $o4 (i32.shr_u (local.get $o) (i32.const 1)))
            (local.set $v
              (f64x2.add
                (f64x2.add
                  (f64x2.mul
                    (v128.load (i32.add (local.get $xz) (local.get $o)))
                    (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $o4)))))
                  (f64x2.splat (local.get $c2s)))
                (f64x2.mul
                  (f64x2.splat (local.get $a2s))
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $q) (local.get $o4)))))))
            (v128.store (i32.add (local.get $t) (local.get $o)) (local.get $v))
            (local.set $e (f64x2.sub (local.get $v) (v128.load (i32.add (local.get $r) (local.get $o)))))
            (local.set $rf (f64x2.add (local.get $rf) (f64x2.mul (local.get $v) (local.get $v))))
            (local.set $rd (f64x2.add (local.get $rd) (f64x2.mul (local.get $e) (local.get $e))))
            (local.set $ry
              (f64x2.add (local.get $ry)
                (f64x2.mul (local.get $v)
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $vec)))
        (local.set $sf (f64.add (f64x2.extract_lane 0 (local.get $rf)) (f64x2.extract_lane 1 (local.get $rf))))
        (local.set $sd (f64.add (f64x2.extract_lane 0 (local.get $rd)) (f64x2.extract_lane 1 (local.get $rd))))
        (local.set $sy (f64.add (f64x2.extract_lane 0 (local.get $ry)) (f64x2.extract_lane 1 (local.get $ry))))
        ;; the columns left below the diagonal (at most one), then the diagonal (j = i)
        (block $tailDone
          (loop $tail
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (local.set $o4 (i32.shr_u (local.get $o) (i32.const 1)))
            (local.set $vs
              (f64.add
                (f64.add
                  (f64.mul
                    (f64.load (i32.add (local.get $xz) (local.get $o)))
                    (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $o4)))))
                  (local.get $c2s))
                (f64.mul (local.get $a2s) (f64.promote_f32 (f32.load (i32.add (local.get $q) (local.get $o4)))))))
            (f64.store (i32.add (local.get $t) (local.get $o)) (local.get $vs))
            (local.set $es (f64.sub (local.get $vs) (f64.load (i32.add (local.get $r) (local.get $o)))))
            (br_if $tailDone (i32.eq (local.get $j) (local.get $i)))
            (local.set $sf (f64.add (local.get $sf) (f64.mul (local.get $vs) (local.get $vs))))
            (local.set $sd (f64.add (local.get $sd) (f64.mul (local.get $es) (local.get $es))))
            (local.set $sy
              (f64.add (local.get $sy)
                (f64.mul (local.get $vs) (f64.promote_f32 (f32.load (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $yi (f64.promote_f32 (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $fro (f64.add (local.get $fro) (f64.add (f64.mul (f64.const 2) (local.get $sf)) (f64.mul (local.get $vs) (local.get $vs)))))
        (local.set $diff (f64.add (local.get $diff) (f64.add (f64.mul (f64.const 2) (local.get $sd)) (f64.mul (local.get $es) (local.get $es)))))
        (local.set $yky
          (f64.add (local.get $yky)
            (f64.mul (local.get $yi) (f64.add (f64.mul (f64.const 2) (local.get $sy)) (f64.mul (local.get $vs) (local.get $yi))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
    (f64.store (local.get $out) (local.get $fro))
    (f64.store (i32.add (local.get $out) (i32.const 8)) (local.get $diff))
    (f64.store (i32.add (local.get $out) (i32.const 16)) (local.get $yky)))
)
