package quant

// qxLanes is makeQX (make_qx_quants, rmse_type 1, no importance weights)
// on the 16 sub-blocks of 16 of one Q6_K super-block at once: element i of
// sub-block j sits at [i][j], one SIMD lane per sub-block (AVX-512 on
// amd64, Go elsewhere). Every lane performs makeQX's float32 operations in
// makeQX's order, so the results are bitwise the same.
type qxLanes struct {
	x       [16][16]float32
	L, Laux [16][16]int32   // codes l + nmax (Laux: scratch)
	w, wx   [16][16]float32 // the weights x² and x²·x, set by qxPrep
}

// qxState is the per-lane state of qxLoop; offsets are fixed for
// qx_amd64.s (TestKqStateLayout).
type qxState struct {
	max   [16]float32 // the value of largest magnitude (first one on ties)
	scale [16]float32
	best  [16]float32
	live  [16]int32 // −1: the lane's largest magnitude is ≥ GROUP_MAX_EPS
	nmax  int32
}

// fit loads the 256 values of x (sub-block j = x[16j:16j+16] into lane
// j), returns each lane's scale (makeQX's result) and leaves its codes in
// q.L (0 for an all-zero lane, whose scale is 0).
func (q *qxLanes) fit(x *[QK_K]float32, nmax int32) [16]float32 {
	st := qxState{nmax: nmax}
	qxLoop(q, &st, qxPrep(q, &st, x))
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

// qxPrepGeneric loads q.x from x, sets st.max and st.live of every lane
// and the weights w, wx; it reports whether every x is finite.
func qxPrepGeneric(q *qxLanes, st *qxState, x *[QK_K]float32) (finite bool) {
	for j := range 16 {
		for i := range 16 {
			q.x[i][j] = x[16*j+i]
		}
	}
	finite = true
	for j := range 16 {
		var amax, mx float32
		for i := range 16 {
			v := q.x[i][j]
			if a := abs32(v); a > amax {
				amax, mx = a, v
			}
			if !(abs32(v) <= maxFloat32) {
				finite = false
			}
			q.w[i][j] = float32(v * v)
			q.wx[i][j] = float32(q.w[i][j] * v)
		}
		st.max[j] = mx
		st.live[j] = 0
		if !(amax < groupMaxEps) {
			st.live[j] = -1
		}
	}
	return finite
}

const maxFloat32 = 0x1p127 * (1 + (1 - 0x1p-23)) // math.MaxFloat32

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

// qxFinalGeneric requantizes Q6_K's codes with the packed scales: on each
// lane with dj ≠ 0, L = clamp(nearest_int(x/dj), −32, 31) + 32.
func qxFinalGeneric(q *qxLanes, dj *[16]float32) {
	for j := range 16 {
		if dj[j] == 0 {
			continue
		}
		for i := range 16 {
			q.L[i][j] = clamp(nearestInt(q.x[i][j]/dj[j]), -32, 31) + 32
		}
	}
}

// qxPackGeneric stores Q6_K's codes (element e = 16j+i at L[i][j]): low
// nibbles in ql = dst[0:128], high bits in qh = dst[128:192], in the order
// of ggml's block_q6_K.
func qxPackGeneric(q *qxLanes, dst *[192]byte) {
	at := func(e int) uint8 { return uint8(q.L[e&15][e>>4]) }
	for h := range 2 {
		for l := range 32 {
			b := 128*h + l
			q1, q2, q3, q4 := at(b), at(b+32), at(b+64), at(b+96)
			dst[64*h+l] = q1&0xf | q3<<4
			dst[64*h+l+32] = q2&0xf | q4<<4
			dst[128+32*h+l] = q1>>4&3 | (q2>>4&3)<<2 | (q3>>4&3)<<4 | (q4>>4&3)<<6
		}
	}
}
