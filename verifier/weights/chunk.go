package weights

import (
	"bytes"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// sums are the findings of one chunk (or, added up in chunk order, of a
// tensor). "The reference" is A's bytes when the types are equal, else
// PoT's quantization of deq(A) to B's type.
type sums struct {
	blocks   int64 // B-type blocks
	diff     int64 // blocks whose bytes differ from the reference
	sameVals int64 // of those, blocks whose values equal the reference's all the same
	tiny     int64 // of those, rounding flips: ≤ maxTinyElems elements off, each by ≤ one step
	beyond   int64 // blocks with an element beyond the quantization bound
	rows     int64 // distinct rows holding such blocks
	// firstRow, lastRow: the first and last of those rows (valid if rows > 0).
	firstRow, lastRow int64
	// worst is the largest |b−a| / bound over the elements judged (+Inf
	// for NaN, or for a difference where the bound is 0); worstAt is that
	// element's index in the tensor, -1 if no element was judged.
	worst   float64
	worstAt int64
}

func newSums() sums { return sums{worstAt: -1} }

// add appends o, the sums of the chunk after s's.
func (s *sums) add(o *sums) {
	s.blocks += o.blocks
	s.diff += o.diff
	s.sameVals += o.sameVals
	s.tiny += o.tiny
	s.beyond += o.beyond
	if o.rows > 0 {
		switch {
		case s.rows == 0:
			s.firstRow, s.rows = o.firstRow, o.rows
		case s.lastRow == o.firstRow: // a row split between the two chunks
			s.rows += o.rows - 1
		default:
			s.rows += o.rows
		}
		s.lastRow = o.lastRow
	}
	if o.worstAt >= 0 && (s.worstAt < 0 || o.worst > s.worst) {
		s.worst, s.worstAt = o.worst, o.worstAt
	}
}

// scratch is one worker's buffers for a chunk of up to n elements: values
// of A, B and the reference; their bounds; the reference's bytes.
type scratch struct {
	a, b, q    []float32
	ta, tb, tq []float32 // bounds (tolerance)
	oa, ob, oq []float32 // outward allowances (tolerance)
	r          []byte
	diffs      []int32 // indices of differing blocks in the chunk
}

func newScratch(n int) *scratch {
	f := func() []float32 { return make([]float32, n) }
	return &scratch{a: f(), b: f(), q: f(), ta: f(), tb: f(), tq: f(), oa: f(), ob: f(), oq: f(),
		r: make([]byte, 4*n), diffs: make([]int32, 0, n)}
}

// chunkJob says how to judge a tensor pair of types tA, tB.
type chunkJob struct {
	tA, tB quant.Type
	// requant: the types differ and B's has a quantizer, so B is compared
	// with PoT's requantization of A. Otherwise the types are equal (B is
	// compared with A's bytes) or there is no reference (B is only held to
	// the bound of its own scales, uncapped).
	requant bool
	cols    int64 // elements per row (Dims[0])
}

func newChunkJob(tA, tB quant.Type, cols int64) chunkJob {
	return chunkJob{tA: tA, tB: tB, requant: tA != tB && quant.Supported(tB), cols: cols}
}

// hasRef reports whether B can be compared with reference bytes.
func (j *chunkJob) hasRef() bool { return j.requant || j.tA == j.tB }

// maxTinyElems: a block counts as a rounding flip (ExactRequant) if at most
// this many of its elements differ from PoT's requantization, each by at
// most one step. A tie rounded the other way (another float evaluation
// order, ties-to-even) moves one code by one step; two allow for a pair of
// such ties in one block.
const maxTinyElems = 2

// capFactor bounds the candidate's own step, which its file chooses, by
// this multiple of the step PoT's quantizer chooses on the reference's
// values (or A's own, for the same type). Two honest quantizations of one
// block choose steps within a few percent of each other (their scales
// come from the same extreme values; the K-quant scale searches try
// ±1/nmax around them); without the cap a file could claim a huge step
// and a block of zeros would pass.
const capFactor = 2

// viaBF16 allows for a route through a 16-bit float copy of the source
// (convert_hf_to_gguf --outtype bf16, then llama-quantize): half an ulp of
// BF16 is at most 2⁻⁸ of the value; twice that leaves a margin.
const viaBF16 = 0x1p-7

// run judges one chunk of n elements starting at element e0 of the tensor:
// xa holds them in A's type, xb in B's.
func (j *chunkJob) run(sc *scratch, xa, xb []byte, n int, e0 int64) (sums, error) {
	s := newSums()
	bs, ts := j.tB.BlockSize(), j.tB.TypeSize()
	s.blocks = int64(n / bs)
	a := sc.a[:n]
	ref := xa // same type
	if j.requant {
		if err := quant.Dequantize(j.tA, xa, a); err != nil {
			return s, err
		}
		ref = sc.r[:rowBytes(j.tB, n)]
		if err := quant.Quantize(j.tB, a, ref); err != nil {
			return s, err
		}
	}
	var diffs []int32
	switch {
	case !j.hasRef():
		diffs = sc.diffs[:0]
		for k := range n / bs {
			diffs = append(diffs, int32(k)) // judge every block
		}
	case bytes.Equal(ref, xb):
		return s, nil
	default:
		diffs = diffBlocks(ref, xb, ts, sc.diffs[:0])
	}
	if j.hasRef() {
		s.diff = int64(len(diffs))
	}
	if len(diffs) == 0 {
		return s, nil
	}
	b := sc.b[:n]
	ea, eb := ends{sc.ta[:n], sc.oa[:n]}, ends{sc.tb[:n], sc.ob[:n]}
	q, eq := a, ea // the reference's values and bounds (same type)
	if !j.requant {
		if err := quant.Dequantize(j.tA, xa, a); err != nil {
			return s, err
		}
	}
	if err := quant.Dequantize(j.tB, xb, b); err != nil {
		return s, err
	}
	tolerance(j.tA, xa, a, ea)
	tolerance(j.tB, xb, b, eb)
	switch {
	case j.requant:
		q, eq = sc.q[:n], ends{sc.tq[:n], sc.oq[:n]}
		if err := quant.Dequantize(j.tB, ref, q); err != nil {
			return s, err
		}
		tolerance(j.tB, ref, q, eq)
	case j.tA != j.tB:
		q, eq = nil, ends{}
	}
	for _, k := range diffs {
		lo, hi := int(k)*bs, (int(k)+1)*bs
		if q != nil {
			switch off := offRef(b[lo:hi], q[lo:hi], eq.tol[lo:hi]); {
			case off == 0:
				s.sameVals++
				continue
			case off > 0 && j.requant:
				s.tiny++
			}
		}
		if j.judge(&s, a[lo:hi], b[lo:hi], ea.sub(lo, hi), eb.sub(lo, hi), eq.sub(lo, hi), e0+int64(lo)) {
			s.beyond++
			row := (e0 + int64(lo)) / j.cols
			if s.rows == 0 || row != s.lastRow {
				if s.rows == 0 {
					s.firstRow = row
				}
				s.rows++
				s.lastRow = row
			}
		}
	}
	return s, nil
}

func (e ends) sub(lo, hi int) ends {
	if e.tol == nil {
		return e
	}
	return ends{e.tol[lo:hi], e.out[lo:hi]}
}

// offRef counts the elements of b that differ from the reference q: 0 if
// none, -1 if more than maxTinyElems or any by more than one step of the
// reference (its bound tq).
func offRef(b, q, tq []float32) int {
	off := 0
	for i := range b {
		if b[i] == q[i] {
			continue
		}
		off++
		if off > maxTinyElems || !(abs(b[i]-q[i]) <= tq[i]) {
			return -1
		}
	}
	return off
}

// judge holds one block to the bound (see the package doc)
//
//	|b−a| ≤ A's bound + min(B's, capFactor·the reference's) + viaBF16·|a|
//
// where a side's bound grows by its outward allowance when the difference
// points outward from an end of that side's block (eq.tol nil: no
// reference, no cap). It updates s.worst and reports whether any element
// is beyond. NaN or Inf in a or b is always beyond.
func (j *chunkJob) judge(s *sums, a, b []float32, ea, eb, eq ends, e0 int64) bool {
	beyond := false
	for i := range b {
		diff := float64(b[i]) - float64(a[i])
		ta, tb, ob := ea.tol[i], eb.tol[i], abs(eb.out[i])
		if eq.tol != nil {
			tb, ob = min(tb, capFactor*eq.tol[i]), min(ob, capFactor*clampExtra*eq.tol[i])
		}
		if diff*float64(ea.out[i]) > 0 { // b beyond the end a sits at
			ta += abs(ea.out[i])
		}
		if diff*float64(eb.out[i]) < 0 { // a beyond the end b sits at
			tb += ob
		}
		bound := float64(ta) + float64(tb) + viaBF16*math.Abs(float64(a[i]))
		d := math.Abs(diff)
		if !(d <= bound) || math.IsInf(d, 0) {
			beyond = true
		}
		if s.worstAt >= 0 && d*(1+0x1p-40) < s.worst*bound {
			continue // surely not a new worst, whatever the rounding (false for NaN): saves a division
		}
		r := d / bound
		switch {
		case d == 0:
			r = 0
		case math.IsNaN(r) || math.IsInf(r, 0):
			r = math.Inf(1)
		}
		if s.worstAt < 0 || r > s.worst {
			s.worst, s.worstAt = r, e0+int64(i)
		}
	}
	return beyond
}

// rowBytes is the size of n elements of t; n is a whole number of blocks.
func rowBytes(t quant.Type, n int) int { return n / t.BlockSize() * t.TypeSize() }

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
