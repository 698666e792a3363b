package quant

// qxLanes is makeQX (make_qx_quants, rmse_type 1, no importance weights)
// on the 16 sub-blocks of 16 of one Q6_K super-block at once: element i of
// sub-block j sits at [i][j], one SIMD lane per sub-block (AVX-512 on
// amd64, Go elsewhere). Every lane performs makeQX's float32 operations in
// makeQX's order, so the results are bitwise the same.
type qxLanes struct {
	x       [16][16]float32
	L, Laux [16][16]int32 // codes l + nmax
}

// qxState is the per-lane state of qxLoop; offsets are fixed for
// kquant_amd64.s (TestKqStateLayout).
type qxState struct {
	max   [16]float32 // the value of largest magnitude (first one on ties)
	scale [16]float32
	best  [16]float32
	live  [16]int32 // −1: the lane's largest magnitude is ≥ GROUP_MAX_EPS
	nmax  int32
}

// fit returns each lane's scale (makeQX's result) and leaves its codes in
// q.L (0 for an all-zero lane, whose scale is 0).
func (q *qxLanes) fit(nmax int32) [16]float32 {
	st := qxState{nmax: nmax}
	for j := range 16 {
		var amax, mx float32
		for i := range 16 {
			if a := abs32(q.x[i][j]); a > amax {
				amax, mx = a, q.x[i][j]
			}
		}
		st.max[j] = mx
		if !(amax < groupMaxEps) {
			st.live[j] = -1
		}
	}
	qxLoop(q, &st)
	for j := range 16 {
		if st.live[j] == 0 {
			for i := range 16 {
				q.L[i][j] = 0
			}
			st.scale[j] = 0
		}
	}
	return st.scale
}

// qxSumsGeneric computes per lane the codes of iscale,
// Laux = clamp(nearest_int(iscale·x), −nmax, nmax−1) + nmax, and
// Σ (x²·x)·l and Σ (x²·l)·l in element order.
func qxSumsGeneric(q *qxLanes, iscale *[16]float32, nmax int32, sumlx, suml2 *[16]float32) {
	var slx, sl2 [16]float32
	for i := range 16 {
		for j := range 16 {
			v := q.x[i][j]
			l := clamp(nearestInt(iscale[j]*v), -nmax, nmax-1)
			q.Laux[i][j] = l + nmax
			w, fl := float32(v*v), float32(l)
			slx[j] += float32(w * v * fl)
			sl2[j] += float32(w * fl * fl)
		}
	}
	*sumlx, *suml2 = slx, sl2
}

// qxLoopGeneric is makeQX's search on every lane: the codes of
// −nmax/max, then the 18 candidates −(nmax + 0.1·is)/max, is = ±1…±9,
// keeping a candidate when its Σxl²/Σl² beats the best.
func qxLoopGeneric(q *qxLanes, st *qxState) {
	fnmax := float32(st.nmax)
	var iscale, sumlx, suml2 [16]float32
	for j := range 16 {
		iscale[j] = -fnmax / st.max[j]
	}
	qxSumsGeneric(q, &iscale, st.nmax, &sumlx, &suml2)
	q.L = q.Laux
	for j := range 16 {
		st.scale[j] = 0
		if suml2[j] != 0 {
			st.scale[j] = sumlx[j] / suml2[j]
		}
		st.best[j] = st.scale[j] * sumlx[j]
	}
	for is := int32(-9); is <= 9; is++ {
		if is == 0 {
			continue
		}
		num := -(fnmax + float32(0.1*float32(is)))
		for j := range 16 {
			iscale[j] = num / st.max[j]
		}
		qxSumsGeneric(q, &iscale, st.nmax, &sumlx, &suml2)
		for j := range 16 {
			if st.live[j] != 0 && suml2[j] > 0 && float32(sumlx[j]*sumlx[j]) > float32(st.best[j]*suml2[j]) {
				for i := range 16 {
					q.L[i][j] = q.Laux[i][j]
				}
				st.scale[j] = sumlx[j] / suml2[j]
				st.best[j] = st.scale[j] * sumlx[j]
			}
		}
	}
}
