package weights

import (
	"bytes"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// sums are the partial results of one chunk (or, added up, of a tensor).
// With a = deq(A), b = deq(B), q = deq(ref) where ref is A's bytes (same
// type) or PoT's quantization of a to B's type, and p = deq(quant_A(b)):
type sums struct {
	blocks    int64 // B-type blocks
	diff      int64 // of those, how many differ from ref
	revDiffer bool  // quant_A(b) differs from A's bytes (rev pass only)

	a2, d2, e2 float64 // Σa², Σ(b−a)², Σ(q−a)²
	b2, r2     float64 // Σb², Σ(p−b)²: the cost of A's type on B (rev only)

	la2, ld2, le2 float64 // Σa², Σ(b−a)², Σ(q−a)² over the differing blocks
}

func (s *sums) add(o *sums) {
	s.blocks += o.blocks
	s.diff += o.diff
	s.revDiffer = s.revDiffer || o.revDiffer
	s.a2 += o.a2
	s.d2 += o.d2
	s.e2 += o.e2
	s.b2 += o.b2
	s.r2 += o.r2
	s.la2 += o.la2
	s.ld2 += o.ld2
	s.le2 += o.le2
}

// scratch is one worker's buffers, sized for n elements of any type (F32
// is the widest at 4 bytes per element).
type scratch struct {
	a, b, q, p []float32
	r, s       []byte
	diffs      []int32 // indices of differing blocks in the chunk
}

func newScratch(n int) *scratch {
	return &scratch{
		a: make([]float32, n), b: make([]float32, n), q: make([]float32, n), p: make([]float32, n),
		r: make([]byte, 4*n), s: make([]byte, 4*n),
		diffs: make([]int32, 0, n),
	}
}

// chunkJob says what to compute for a tensor pair of types tA, tB.
type chunkJob struct {
	tA, tB quant.Type
	// requant: compare B with quant_B(a) (types differ and B's type has a
	// quantizer); otherwise B is compared with A's bytes (same type) or,
	// without a quantizer, only the errors are measured.
	requant bool
	// rev: measure only the cost of A's type on B (b2, r2, revDiffer), in a
	// second pass that runs where it can decide the class.
	rev bool
}

func newChunkJob(tA, tB quant.Type) chunkJob {
	return chunkJob{tA: tA, tB: tB, requant: tA != tB && quant.Supported(tB)}
}

// needsRev reports whether the cost of A's type on B is worth measuring:
// the types differ, and A's type is lossy and has a quantizer.
func needsRev(tA, tB quant.Type) bool {
	return tA != tB && tA != quant.F32 && quant.Supported(tA)
}

// rowBytes is the size of n elements of t; n is a whole number of blocks.
func rowBytes(t quant.Type, n int) int { return n / t.BlockSize() * t.TypeSize() }

// run measures one chunk of n elements: xa holds them in A's type, xb in
// B's.
func (j *chunkJob) run(sc *scratch, xa, xb []byte, n int) (sums, error) {
	if j.rev {
		return j.runRev(sc, xa, xb, n)
	}
	var s sums
	a := sc.a[:n]
	if err := quant.Dequantize(j.tA, xa, a); err != nil {
		return s, err
	}
	// ref and q: what B is compared with, as bytes and values.
	ref, q := xa, a
	switch {
	case j.requant:
		ref, q = sc.r[:rowBytes(j.tB, n)], sc.q[:n]
		if err := quant.Quantize(j.tB, a, ref); err != nil {
			return s, err
		}
		if err := quant.Dequantize(j.tB, ref, q); err != nil {
			return s, err
		}
	case j.tA != j.tB:
		ref, q = nil, nil // no quantizer for B's type
	}
	bs := j.tB.BlockSize()
	s.blocks = int64(n / bs)
	s.a2 = sumSq(a)
	switch {
	case q == nil:
		s.e2 = math.NaN() // unknown: no quantizer
	case j.requant:
		s.e2 = sumSqDiff(q, a)
	} // same type: q is a, e2 = 0
	if ref != nil && bytes.Equal(ref, xb) {
		s.d2 = s.e2 // b = q
		return s, nil
	}
	b := sc.b[:n]
	if err := quant.Dequantize(j.tB, xb, b); err != nil {
		return s, err
	}
	s.d2 = sumSqDiff(b, a)
	if ref == nil {
		return s, nil
	}
	diffs := diffBlocks(ref, xb, j.tB.TypeSize(), sc.diffs[:0])
	s.diff = int64(len(diffs))
	for _, k := range diffs {
		lo, hi := int(k)*bs, (int(k)+1)*bs
		s.la2 += sumSq(a[lo:hi])
		s.ld2 += sumSqDiff(b[lo:hi], a[lo:hi])
		if j.requant {
			s.le2 += sumSqDiff(q[lo:hi], a[lo:hi])
		}
	}
	return s, nil
}

// runRev measures the cost of A's type on B: p = deq(quant_A(b)), Σb²,
// Σ(p−b)², and whether quant_A(b) differs from A's bytes.
func (j *chunkJob) runRev(sc *scratch, xa, xb []byte, n int) (sums, error) {
	var s sums
	b, rr, p := sc.b[:n], sc.s[:rowBytes(j.tA, n)], sc.p[:n]
	if err := quant.Dequantize(j.tB, xb, b); err != nil {
		return s, err
	}
	if err := quant.Quantize(j.tA, b, rr); err != nil {
		return s, err
	}
	if err := quant.Dequantize(j.tA, rr, p); err != nil {
		return s, err
	}
	s.revDiffer = !bytes.Equal(rr, xa)
	s.b2 = sumSq(b)
	s.r2 = sumSqDiff(p, b)
	return s, nil
}

// diffBlocks appends to dst the indices of the ts-byte blocks where x and y
// differ, skipping equal runs of 64 blocks with one comparison.
func diffBlocks(x, y []byte, ts int, dst []int32) []int32 {
	const run = 64
	nb := len(x) / ts
	for k0 := 0; k0 < nb; k0 += run {
		k1 := min(k0+run, nb)
		xs, ys := x[k0*ts:k1*ts], y[k0*ts:k1*ts]
		if bytes.Equal(xs, ys) {
			continue
		}
		if ts > 4 {
			for k := k0; k < k1; k++ {
				if !bytes.Equal(x[k*ts:(k+1)*ts], y[k*ts:(k+1)*ts]) {
					dst = append(dst, int32(k))
				}
			}
			continue
		}
		// F32, F16, BF16: a call per element would dominate.
		for i := range xs {
			if xs[i] != ys[i] {
				k := int32(k0 + i/ts)
				if len(dst) == 0 || dst[len(dst)-1] != k {
					dst = append(dst, k)
				}
			}
		}
	}
	return dst
}

// sumSq returns Σx² in float64, four lanes for speed (the order is fixed,
// so the result is deterministic).
func sumSq(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a, b, c, d := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := float64(x[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDiff returns Σ(x−y)² in float64 (len(y) ≥ len(x)); 0 if x and y
// are the same slice.
func sumSqDiff(x, y []float32) float64 {
	if len(x) == 0 || &x[0] == &y[0] {
		return 0
	}
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		u, v := x[i:i+4:i+4], y[i:i+4:i+4]
		a := float64(u[0]) - float64(v[0])
		b := float64(u[1]) - float64(v[1])
		c := float64(u[2]) - float64(v[2])
		d := float64(u[3]) - float64(v[3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := float64(x[i]) - float64(y[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}
