package engine

import (
	"math"
	"slices"
	"sync"

	"github.com/proof-of-training/pot/verifier/matmul"
)

// logSoftmax turns one row of logits into a Dist with a fixed order:
// m = max_j l_j, e_j = exp(l_j − m) in float32 and Z = Σ_j e_j in float64
// (matmul.ExpSum: its eight-lane order, the same bits on every code path;
// each e_j within one float32 ulp, so log Z is exact to ~1e−7), and
// log p_j = l_j − (m + log Z) in float64, rounded to float32 once. Tail
// masses are float64 sums of e_j over the ids outside a set, accumulated
// directly (never 1 − Σ inside, which would cancel), in sumExcept's order.
func logSoftmax(logits []float32, topK int, ids []int32, wantIDs, full bool) (Dist, error) {
	// One pass for the finiteness check and the maximum. The check ORs a
	// bit that is set when the exponent is all ones (NaN or ±Inf), without
	// a branch. A plain comparison (not the builtin max, whose NaN and
	// signed-zero rules cost a third of the row) may keep −0 where max would
	// give +0: m only enters as l − m and m + log Z with log Z ≥ +0, where
	// both zeros give the same bits.
	mf := float32(math.Inf(-1))
	var inf uint32
	for _, v := range logits {
		inf |= math.Float32bits(v)&0x7f800000 + 0x00800000
		if v > mf {
			mf = v
		}
	}
	if inf>>31 != 0 {
		return Dist{}, checkFinite(logits)
	}
	m := float64(mf)
	ep := expPool.Get().(*[]float32)
	defer expPool.Put(ep)
	if len(*ep) < len(logits) {
		*ep = make([]float32, len(logits))
	}
	e := (*ep)[:len(logits)] // e_j = exp(l_j − m), computed once
	z := matmul.ExpSum(e, logits, mf)
	lse := m + math.Log(z)
	lp := func(j int32) float32 { return float32(float64(logits[j]) - lse) }
	logMass := func(mass float64) float32 { return float32(math.Log(mass) - math.Log(z)) }

	var d Dist
	d.TopIDs = topIDs(logits, topK)
	d.TopLogProbs = make([]float32, len(d.TopIDs))
	for i, j := range d.TopIDs {
		d.TopLogProbs[i] = lp(j)
	}
	if topK == 0 {
		d.TailLogProb = 0 // everything is tail
	} else {
		// Ids ranked after the k-th, (logit desc, id asc), form the tail.
		// Ids ranked after the k-th, (logit desc, id asc): all but the top k.
		d.TailLogProb = logMass(sumExcept(e, d.TopIDs))
	}
	if wantIDs {
		d.IDLogProbs = make([]float32, len(ids))
		for i, j := range ids {
			d.IDLogProbs[i] = lp(j)
		}
		set := slices.Clone(ids)
		slices.Sort(set)
		d.IDTailLogProb = logMass(sumExcept(e, slices.Compact(set)))
	}
	if full {
		d.Full = make([]float32, len(logits))
		for j := range logits {
			d.Full[j] = lp(int32(j))
		}
	}
	return d, nil
}

// sumExcept returns the float64 sum of the e[j] ≥ 0 for j outside set
// (distinct ids), in increasing j in four partial sums by j mod 4, then
// (s0 + s1) + (s2 + s3): four chains run 4× faster than one, and the order
// is fixed, so the bits are too. The set's entries are set to +0 for the
// sum (adding +0 to a sum that starts at +0 changes no bit) and restored.
func sumExcept(e []float32, set []int32) float64 {
	var saved [64]float32
	keep := saved[:0]
	for _, j := range set {
		keep = append(keep, e[j])
		e[j] = 0
	}
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(e); j += 4 {
		s0 += float64(e[j])
		s1 += float64(e[j+1])
		s2 += float64(e[j+2])
		s3 += float64(e[j+3])
	}
	for k, v := range e[j:] {
		switch k {
		case 0:
			s0 += float64(v)
		case 1:
			s1 += float64(v)
		default:
			s2 += float64(v)
		}
	}
	for i, j := range set {
		e[j] = keep[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// expPool recycles the per-row exp buffers of logSoftmax (rows are scored
// concurrently, so each goroutine needs its own).
var expPool = sync.Pool{New: func() any { return new([]float32) }}

// topIDs returns the k ids with the largest logits, best first; ties go to
// the smaller id. A size-k heap keeps the k best seen, its root the worst
// of them: O(V log k).
func topIDs(logits []float32, k int) []int32 {
	if k == 0 {
		return nil
	}
	better := func(a, b int32) bool {
		return logits[a] > logits[b] || (logits[a] == logits[b] && a < b)
	}
	h := make([]int32, 0, k)
	down := func(i int) {
		for {
			w, l, r := i, 2*i+1, 2*i+2
			if l < len(h) && better(h[w], h[l]) {
				w = l
			}
			if r < len(h) && better(h[w], h[r]) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	var rootL float32 // logits[h[0]] once the heap is full
	for j := range int32(len(logits)) {
		if len(h) < k {
			h = append(h, j)
			for i := len(h) - 1; i > 0; { // sift up: parent must be worse
				p := (i - 1) / 2
				if !better(h[p], h[i]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
			rootL = logits[h[0]]
		} else if l := logits[j]; l > rootL || (l == rootL && j < h[0]) { // better(j, h[0])
			h[0] = j
			down(0)
			rootL = logits[h[0]]
		}
	}
	slices.SortFunc(h, func(a, b int32) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	return h
}
