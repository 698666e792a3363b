package engine

import (
	"math"
	"slices"
	"sync"
)

// logSoftmax turns one row of logits into a Dist, in float64 with a fixed
// order: m = max_j l_j, Z = Σ_j exp(l_j − m) over j ascending, and
// log p_j = l_j − (m + log Z), rounded to float32 once. Tail masses are sums
// over the ids outside a set, accumulated directly (never 1 − Σ inside, which
// would cancel), in ascending id order.
func logSoftmax(logits []float32, topK int, ids []int32, wantIDs, full bool) (Dist, error) {
	// One pass for the finiteness check and the maximum (of finite values,
	// so the same as slices.Max).
	mf := float32(math.Inf(-1))
	for _, v := range logits {
		if v-v != 0 { // NaN or ±Inf
			return Dist{}, checkFinite(logits)
		}
		mf = max(mf, v)
	}
	m := float64(mf)
	ep := expPool.Get().(*[]float64)
	defer expPool.Put(ep)
	if len(*ep) < len(logits) {
		*ep = make([]float64, len(logits))
	}
	e := (*ep)[:len(logits)] // e_j = exp(l_j − m), computed once
	var z float64
	for j, l := range logits {
		e[j] = math.Exp(float64(l) - m)
		z += e[j]
	}
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
		last := d.TopIDs[topK-1]
		lk := logits[last]
		var tail float64
		for j, l := range logits {
			if l < lk || (l == lk && int32(j) > last) {
				tail += e[j]
			}
		}
		d.TailLogProb = logMass(tail)
	}
	if wantIDs {
		d.IDLogProbs = make([]float32, len(ids))
		for i, j := range ids {
			d.IDLogProbs[i] = lp(j)
		}
		set := slices.Clone(ids)
		slices.Sort(set)
		set = slices.Compact(set)
		var tail float64
		for j := range logits {
			if _, in := slices.BinarySearch(set, int32(j)); !in {
				tail += e[j]
			}
		}
		d.IDTailLogProb = logMass(tail)
	}
	if full {
		d.Full = make([]float32, len(logits))
		for j := range logits {
			d.Full[j] = lp(int32(j))
		}
	}
	return d, nil
}

// expPool recycles the per-row exp buffers of logSoftmax (rows are scored
// concurrently, so each goroutine needs its own).
var expPool = sync.Pool{New: func() any { return new([]float64) }}

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
		} else if better(j, h[0]) {
			h[0] = j
			down(0)
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
