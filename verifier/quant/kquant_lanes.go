package quant

// kl is the number of lanes of kLanes: the 8 sub-blocks of four
// super-blocks (two AVX-512 streams, whose interleaving hides the latency
// of the in-order sums).
const kl = 32

// kLanes is makeQKX2 (make_qkx2_quants) on kl sub-blocks of 32 at once:
// element l of sub-block j sits at [l][j], so that each candidate scale is
// one pass over the arrays with kl independent lanes (two AVX-512 streams
// or four AVX2 quarters on amd64, Go elsewhere). Every lane performs exactly makeQKX2's
// float32 operations in makeQKX2's order, so the results are bitwise the
// same. Codes are not kept per candidate: the search remembers each lane's
// winning iscale and min (kqState.win, winLo), from which kqCodes computes
// the codes once, in natural order (the same operations give the same
// codes).
type kLanes struct {
	x, w [32][kl]float32
	l    [32][kl]float32 // the current candidate's codes as floats (asm scratch)
}

// kqState is the per-lane state of the candidate-scale search (kqLoop).
// Offsets are fixed for kquant_amd64.s (TestKqStateLayout).
type kqState struct {
	lo, hi, sumW, sumX [kl]float32
	scale, best        [kl]float32 // the best fit so far and its error
	live               [kl]int32   // −1: lane still fitting (not all equal)
	win, winLo         [kl]float32 // the iscale and min of the best fit's codes
	nmax               int32
	rmin, rdelta       float32
	nstep              int64
}

// fit loads the n (1…4) super-blocks of src (sub-block j into lane j;
// lanes of missing super-blocks are zero, hence not live), runs makeQKX2
// on every lane and returns each lane's scale and min; st keeps what
// kqCodes needs for the fitted codes (live, win, winLo). Only the first
// 8n lanes are meaningful: the assembly passes may skip the others.
func (k *kLanes) fit(src []float32, n int, st *kqState, nmax int32, rmin, rdelta float32, nstep int) (scale, theMin [kl]float32) {
	*st = kqState{nmax: nmax, rmin: rmin, rdelta: rdelta, nstep: int64(nstep)}
	kqPrep(k, st, src, n)
	kqLoop(k, st, n)
	for j := range kl {
		if st.live[j] != 0 {
			scale[j] = st.scale[j]
		}
		theMin[j] = -st.lo[j]
	}
	return scale, theMin
}

// kqLoadGeneric copies sub-block j of the n super-blocks of src into lane
// j, zeros in the lanes of a missing second super-block.
func kqLoadGeneric(k *kLanes, src []float32, n int) {
	for l := range 32 {
		for j := range kl {
			k.x[l][j] = 0
			if j < 8*n {
				k.x[l][j] = src[32*j+l]
			}
		}
	}
}

// kqPrepGeneric loads k.x (kqLoadGeneric) and sets each lane's weights
// w = av_x + |x| (av_x the RMS of the lane's 32 values, summed in order)
// and st's lo, hi (running C comparisons from x[0], then lo = min(lo, 0)
// as `if (min > 0) min = 0`), sumW = Σ w and sumX = Σ w·x in element
// order, and live (hi ≠ lo: makeQKX2 does not return early).
func kqPrepGeneric(k *kLanes, st *kqState, src []float32, n int) {
	kqLoadGeneric(k, src, n)
	kqSumsGeneric(k, st)
	kqLiveGeneric(st)
}

func kqSumsGeneric(k *kLanes, st *kqState) {
	var sumX2 [kl]float32
	for i := range 32 {
		for j := range kl {
			sumX2[j] += float32(k.x[i][j] * k.x[i][j])
		}
	}
	for j := range kl {
		avX := sqrt32(sumX2[j] / 32)
		for i := range 32 {
			k.w[i][j] = avX + abs32(k.x[i][j])
		}
		st.lo[j], st.hi[j] = k.x[0][j], k.x[0][j]
		st.sumW[j] = k.w[0][j]
		st.sumX[j] = float32(st.sumW[j] * k.x[0][j])
	}
	for i := 1; i < 32; i++ {
		for j := range kl {
			v, w := k.x[i][j], k.w[i][j]
			st.lo[j] = min32(st.lo[j], v)
			st.hi[j] = max32(st.hi[j], v)
			st.sumW[j] += w
			st.sumX[j] += float32(w * v)
		}
	}
}

func kqLiveGeneric(st *kqState) {
	for j := range kl {
		if st.lo[j] > 0 {
			st.lo[j] = 0
		}
		st.live[j] = 0
		if st.hi[j] != st.lo[j] {
			st.live[j] = -1
		}
	}
}

// kqCode is makeQKX2's code of x for iscale and min lo.
func kqCode(iscale, x, lo float32, nmax int32) int32 {
	return clamp(nearestInt(iscale*(x-lo)), 0, nmax)
}

// kqLoopGeneric is makeQKX2's search on every lane: the first fit (scale
// 1/iscale with iscale = nmax/(hi − lo), min lo), then the candidate
// scales is = 0…nstep, each one kept on a live lane when its closed-form
// fit has D > 0 and a smaller error. It sets st.best, st.scale, st.lo (the
// best min) and st.win, st.winLo (the iscale and min that made the best
// fit's codes). Lanes that are not live get the first fit's values, which
// fit and kqCodes ignore.
func kqLoopGeneric(k *kLanes, st *kqState) {
	fnmax := float32(st.nmax)
	var iscale, scale, lo [kl]float32
	for j := range kl {
		iscale[j] = fnmax / (st.hi[j] - st.lo[j])
		scale[j] = 1 / iscale[j]
		lo[j] = st.lo[j]
	}
	st.best = kqErrGeneric(k, &iscale, &lo, &scale, &lo, st.nmax)
	st.scale, st.win, st.winLo = scale, iscale, lo
	for is := 0; is <= int(st.nstep); is++ {
		num := st.rmin + float32(st.rdelta*float32(is)) + fnmax
		for j := range kl {
			iscale[j] = num / (st.hi[j] - st.lo[j])
		}
		sL, sL2, sXL := kqStepGeneric(k, &iscale, &st.lo, st.nmax)
		var thisScale, thisMin [kl]float32
		var ok [kl]bool
		for j := range kl {
			D := float32(st.sumW[j]*sL2[j]) - float32(sL[j]*sL[j])
			ok[j] = D > 0 && st.live[j] != 0
			thisScale[j] = (float32(st.sumW[j]*sXL[j]) - float32(st.sumX[j]*sL[j])) / D
			thisMin[j] = (float32(sL2[j]*st.sumX[j]) - float32(sL[j]*sXL[j])) / D
			if thisMin[j] > 0 {
				thisMin[j] = 0
				thisScale[j] = sXL[j] / sL2[j]
			}
		}
		curErr := kqErrGeneric(k, &iscale, &st.lo, &thisScale, &thisMin, st.nmax)
		for j := range kl {
			if ok[j] && curErr[j] < st.best[j] {
				st.best[j] = curErr[j]
				st.scale[j] = thisScale[j]
				st.win[j], st.winLo[j] = iscale[j], st.lo[j]
				st.lo[j] = thisMin[j]
			}
		}
	}
}

// kqStepGeneric returns, per lane, the weighted sums Σ w·l, Σ (w·l)·l and
// Σ (w·l)·x of the codes l of iscale and lo, in element order.
func kqStepGeneric(k *kLanes, iscale, lo *[kl]float32, nmax int32) (sL, sL2, sXL [kl]float32) {
	for i := range 32 {
		for j := range kl {
			fl := float32(kqCode(iscale[j], k.x[i][j], lo[j], nmax))
			wl := float32(k.w[i][j] * fl)
			sL[j] += wl
			sL2[j] += float32(wl * fl)
			sXL[j] += float32(wl * k.x[i][j])
		}
	}
	return sL, sL2, sXL
}

// kqErrGeneric returns, per lane, Σ w·d² with d = (scale·l + min) − x for
// the codes l of iscale and lo, in element order.
func kqErrGeneric(k *kLanes, iscale, lo, scale, theMin *[kl]float32, nmax int32) (e [kl]float32) {
	for i := range 32 {
		for j := range kl {
			fl := float32(kqCode(iscale[j], k.x[i][j], lo[j], nmax))
			d := float32(scale[j]*fl) + theMin[j] - k.x[i][j]
			d = d * d
			e[j] += float32(k.w[i][j] * d)
		}
	}
	return e
}

// kqCodeArgs says how kqCodes makes the codes of one super-block's 8
// sub-blocks: mode 0 requantizes with the packed scale and min,
// clamp(nearest_int((x + dm)/dj), 0, nmax); mode 1 (packed scale 0, lane
// live) keeps makeQKX2's codes, clamp(nearest_int(win·(x − winLo)), 0,
// nmax); mode 2 (packed scale 0, lane not live) gives 0. Offsets are fixed
// for kquant_amd64.s (TestKqStateLayout).
type kqCodeArgs struct {
	dj, dm, win, winLo [8]float32
	mode               [8]int32
	nmax               int32
}

// kqCodesGeneric writes the codes of the super-block x into L.
func kqCodesGeneric(x *[QK_K]float32, a *kqCodeArgs, L *[QK_K]uint8) {
	for j := range 8 {
		xs, ls := x[32*j:32*j+32], L[32*j:32*j+32]
		switch a.mode[j] {
		case 0:
			for i, v := range xs {
				ls[i] = uint8(clamp(nearestInt((v+a.dm[j])/a.dj[j]), 0, a.nmax))
			}
		case 1:
			for i, v := range xs {
				ls[i] = uint8(kqCode(a.win[j], v, a.winLo[j], a.nmax))
			}
		default:
			clear(ls)
		}
	}
}
