;; The row passes of the depth-2 ReLU Gram (relu-gram-passes.ts says why), in WebAssembly SIMD,
;; in place over K, a row-major n×m float64 matrix that holds the inner products x_i·z_j.
;; Pointers are byte offsets into the imported shared memory, which the main thread and the
;; workers all bind. Every operation is the one the JavaScript loop (reluKernelRow with
;; Math.acos) performs, in the same order and without fused multiply-adds, so both give the same
;; bits.
(module
  (memory (import "env" "memory") 1 65536 shared)

  ;; arccos by the algorithm of fdlibm's e_acos.c (Sun Microsystems, 1993: "Permission to use,
  ;; copy, modify, and distribute this software is freely granted, provided that this notice is
  ;; preserved"), which V8 uses for Math.acos. With R(z) = P(z)/Q(z) its rational approximation
  ;; of (asin √z − √z)/√z³:
  ;;   |x| < 1/2:  acos x = π/2 − (x + x R(x²))
  ;;   x ≤ −1/2:   acos x = π − 2 (s + s R(z)),       z = (1 + x)/2, s = √z
  ;;   x ≥ 1/2:    acos x = 2 (s_hi + (c + s R(z))),  z = (1 − x)/2, s_hi = s with its low 32 bits
  ;;               cleared, c = (z − s_hi²)/(s + s_hi) (√z to twice the precision)
  ;; π/2 and π carry a low part pio2_lo. Both lanes take every branch and the masks pick one; at
  ;; x = 1 the third branch divides 0/0 and the mask returns acos 1 = 0. fdlibm returns
  ;; pio2_hi + pio2_lo for |x| ≤ 2⁻⁵⁷ without the polynomial: the same double.
  (func $acos (param $x v128) (result v128)
    (local $ax v128) (local $z v128) (local $s v128) (local $r v128) (local $rs v128)
    (local $hi v128) (local $c v128) (local $small v128)
    (local.set $ax (f64x2.abs (local.get $x)))
    (local.set $small (f64x2.lt (local.get $ax) (f64x2.splat (f64.const 0.5))))
    (local.set $z
      (v128.bitselect
        (f64x2.mul (local.get $x) (local.get $x))
        (f64x2.mul (f64x2.sub (f64x2.splat (f64.const 1)) (local.get $ax)) (f64x2.splat (f64.const 0.5)))
        (local.get $small)))
    (local.set $s (f64x2.sqrt (local.get $z)))
    ;; R(z) = P(z)/Q(z), Horner as in fdlibm (pS0..pS5, qS1..qS4)
    (local.set $r
      (f64x2.div
        (f64x2.mul (local.get $z)
          (f64x2.add (f64x2.splat (f64.const 0x1.5555555555555p-3))
            (f64x2.mul (local.get $z)
              (f64x2.add (f64x2.splat (f64.const -0x1.4d61203eb6f7dp-2))
                (f64x2.mul (local.get $z)
                  (f64x2.add (f64x2.splat (f64.const 0x1.9c1550e884455p-3))
                    (f64x2.mul (local.get $z)
                      (f64x2.add (f64x2.splat (f64.const -0x1.48228b5688f3bp-5))
                        (f64x2.mul (local.get $z)
                          (f64x2.add (f64x2.splat (f64.const 0x1.9efe07501b288p-11))
                            (f64x2.mul (local.get $z) (f64x2.splat (f64.const 0x1.23de10dfdf709p-15)))))))))))))
        (f64x2.add (f64x2.splat (f64.const 1))
          (f64x2.mul (local.get $z)
            (f64x2.add (f64x2.splat (f64.const -0x1.33a271c8a2d4bp+1))
              (f64x2.mul (local.get $z)
                (f64x2.add (f64x2.splat (f64.const 0x1.02ae59c598ac8p+1))
                  (f64x2.mul (local.get $z)
                    (f64x2.add (f64x2.splat (f64.const -0x1.6066c1b8d0159p-1))
                      (f64x2.mul (local.get $z) (f64x2.splat (f64.const 0x1.3b8c5b12e9282p-4))))))))))))
    (local.set $rs (f64x2.mul (local.get $r) (local.get $s)))
    (local.set $hi (v128.and (local.get $s) (i64x2.splat (i64.const 0xffffffff00000000))))
    (local.set $c
      (f64x2.div
        (f64x2.sub (local.get $z) (f64x2.mul (local.get $hi) (local.get $hi)))
        (f64x2.add (local.get $s) (local.get $hi))))
    (v128.bitselect
      ;; |x| < 1/2: pio2_hi − (x − (pio2_lo − x r))
      (f64x2.sub (f64x2.splat (f64.const 0x1.921fb54442d18p+0))
        (f64x2.sub (local.get $x)
          (f64x2.sub (f64x2.splat (f64.const 0x1.1a62633145c07p-54)) (f64x2.mul (local.get $x) (local.get $r)))))
      (v128.bitselect
        ;; x ≤ −1/2: π − 2 (s + (r s − pio2_lo))
        (f64x2.sub (f64x2.splat (f64.const 0x1.921fb54442d18p+1))
          (f64x2.mul (f64x2.splat (f64.const 2))
            (f64x2.add (local.get $s) (f64x2.sub (local.get $rs) (f64x2.splat (f64.const 0x1.1a62633145c07p-54))))))
        ;; x ≥ 1/2: 2 (s_hi + (r s + c)), and 0 at x = 1
        (v128.andnot
          (f64x2.mul (f64x2.splat (f64.const 2)) (f64x2.add (local.get $hi) (f64x2.add (local.get $rs) (local.get $c))))
          (f64x2.eq (local.get $x) (f64x2.splat (f64.const 1))))
        (f64x2.lt (local.get $x) (f64x2.splat (f64.const 0))))
      (local.get $small)))

  ;; Rows [r0, r1) of K (row stride m) mapped in place: columns j < i + 1 when $sym (the lower
  ;; triangle SYRK wrote), else all m. $sa[i] = √q(x_i), $sb[j] = √q(z_j). From the inner products
  ;; k = x·z and the scales r = √q(x) √q(z), Θ and Σ of the depth-2 network (the unrolled L = 2
  ;; case of relu-kernel-recursion.ts):
  ;;   σ = (σ_w²/d) k + σ_b²,  c = clamp(σ / r, −1, 1) (0 when r = 0),  t = π − acos c
  ;;   Σ = (σ_w²/2) r (√(1 − c²) + t c)/π + σ_b²,   Θ = Σ + (σ_w²/2) t/π σ
  ;; $mode 0: Σ into K; 1: Θ into K; 2: Θ into K and Σ into S at $sp (K's shape and stride), both
  ;; from one arc-cosine. Two entries at a time; a row's odd last entry is computed in a pair whose
  ;; second lane reads the next 8 bytes (the caller leaves 16 spare bytes after K and after $sb)
  ;; and stores only lane 0.
  (func (export "mapRows")
    (param $kp i32) (param $sp i32) (param $m i32) (param $r0 i32) (param $r1 i32) (param $sym i32) (param $sa i32)
    (param $sb i32) (param $wd f64) (param $b2 f64) (param $half f64) (param $invPi f64) (param $mode i32)
    (local $i i32) (local $j i32) (local $len i32) (local $row i32) (local $p i32) (local $q i32) (local $pair i32)
    (local $sx v128) (local $vwd v128) (local $vb2 v128) (local $vhalf v128) (local $vpi v128)
    (local $r v128) (local $sig v128) (local $c v128) (local $t v128) (local $out v128)
    (local.set $vwd (f64x2.splat (local.get $wd)))
    (local.set $vb2 (f64x2.splat (local.get $b2)))
    (local.set $vhalf (f64x2.splat (local.get $half)))
    (local.set $vpi (f64x2.splat (local.get $invPi)))
    (local.set $i (local.get $r0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $r1)))
        (local.set $row (i32.add (local.get $kp) (i32.shl (i32.mul (local.get $i) (local.get $m)) (i32.const 3))))
        (local.set $len (select (i32.add (local.get $i) (i32.const 1)) (local.get $m) (local.get $sym)))
        (local.set $sx (f64x2.splat (f64.load (i32.add (local.get $sa) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $j (i32.const 0))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $j) (local.get $len)))
            (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $r
              (f64x2.mul (local.get $sx) (v128.load (i32.add (local.get $sb) (i32.shl (local.get $j) (i32.const 3))))))
            (local.set $sig (f64x2.add (f64x2.mul (local.get $vwd) (v128.load (local.get $p))) (local.get $vb2)))
            (local.set $c
              (v128.and
                (f64x2.div (local.get $sig) (local.get $r))
                (f64x2.gt (local.get $r) (f64x2.splat (f64.const 0)))))
            (local.set $c
              (f64x2.pmin (f64x2.pmax (local.get $c) (f64x2.splat (f64.const -1))) (f64x2.splat (f64.const 1))))
            (local.set $t (f64x2.sub (f64x2.splat (f64.const 0x1.921fb54442d18p+1)) (call $acos (local.get $c))))
            (local.set $out
              (f64x2.add
                (f64x2.mul
                  (f64x2.mul (f64x2.mul (local.get $vhalf) (local.get $r))
                    (f64x2.add
                      (f64x2.sqrt (f64x2.sub (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $c) (local.get $c))))
                      (f64x2.mul (local.get $t) (local.get $c))))
                  (local.get $vpi))
                (local.get $vb2)))
            (local.set $pair (i32.le_u (i32.add (local.get $j) (i32.const 2)) (local.get $len)))
            (if (i32.eq (local.get $mode) (i32.const 2))
              (then
                (local.set $q (i32.add (local.get $sp) (i32.sub (local.get $p) (local.get $kp))))
                (if (local.get $pair)
                  (then (v128.store (local.get $q) (local.get $out)))
                  (else (f64.store (local.get $q) (f64x2.extract_lane 0 (local.get $out)))))))
            (if (local.get $mode)
              (then
                (local.set $out
                  (f64x2.add (local.get $out)
                    (f64x2.mul (f64x2.mul (f64x2.mul (local.get $vhalf) (local.get $t)) (local.get $vpi)) (local.get $sig))))))
            (if (local.get $pair)
              (then (v128.store (local.get $p) (local.get $out)))
              (else (f64.store (local.get $p) (f64x2.extract_lane 0 (local.get $out)))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pairs)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; The upper triangle of the n×n K from its lower one, for the upper rows j in [r0, r1):
  ;; K[j][i] = K[i][j] for i > j, in 64×64 tiles so that the strided reads stay in cache (the loop
  ;; of linalg's mirrorLower).
  (func (export "mirrorRows") (param $k i32) (param $n i32) (param $r0 i32) (param $r1 i32)
    (local $jb i32) (local $je i32) (local $ib i32) (local $ie i32) (local $j i32) (local $i i32)
    (local $dst i32) (local $src i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 3)))
    (local.set $jb (local.get $r0))
    (block $jbDone
      (loop $jbLoop
        (br_if $jbDone (i32.ge_u (local.get $jb) (local.get $r1)))
        (local.set $je (select (i32.add (local.get $jb) (i32.const 64)) (local.get $r1)
          (i32.lt_u (i32.add (local.get $jb) (i32.const 64)) (local.get $r1))))
        (local.set $ib (local.get $jb))
        (block $ibDone
          (loop $ibLoop
            (br_if $ibDone (i32.ge_u (local.get $ib) (local.get $n)))
            (local.set $ie (select (i32.add (local.get $ib) (i32.const 64)) (local.get $n)
              (i32.lt_u (i32.add (local.get $ib) (i32.const 64)) (local.get $n))))
            (local.set $j (local.get $jb))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $je)))
                ;; i from max(ib, j + 1)
                (local.set $i (select (local.get $ib) (i32.add (local.get $j) (i32.const 1))
                  (i32.gt_u (local.get $ib) (local.get $j))))
                (local.set $dst
                  (i32.add (local.get $k) (i32.add (i32.mul (local.get $j) (local.get $stride)) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $src
                  (i32.add (local.get $k) (i32.add (i32.mul (local.get $i) (local.get $stride)) (i32.shl (local.get $j) (i32.const 3)))))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_u (local.get $i) (local.get $ie)))
                    (f64.store (local.get $dst) (f64.load (local.get $src)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
                    (local.set $src (i32.add (local.get $src) (local.get $stride)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $iLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
            (local.set $ib (local.get $ie))
            (br $ibLoop)))
        (local.set $jb (local.get $je))
        (br $jbLoop)))))
