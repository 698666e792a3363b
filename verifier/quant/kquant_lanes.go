package quant

// kl is the number of lanes of kLanes: the 8 sub-blocks of two
// super-blocks.
const kl = 16

// kLanes is makeQKX2 (make_qkx2_quants) on kl sub-blocks of 32 at once:
// element l of sub-block j sits at [l][j], so that each candidate scale is
// one pass over the arrays with kl independent lanes (AVX-512 or two AVX2
// halves on amd64, Go elsewhere). Every lane performs exactly makeQKX2's
// float32 operations in makeQKX2's order, so the results are bitwise the
// same.
type kLanes struct {
	x, w    [32][kl]float32
	L, Laux [32][kl]int32
}

// fit returns each lane's scale and min (makeQKX2's results) and leaves
// its codes in k.L.
func (k *kLanes) fit(nmax int32, rmin, rdelta float32, nstep int) (scale, theMin [kl]float32) {
	st := kqState{nmax: nmax, rmin: rmin, rdelta: rdelta, nstep: int64(nstep)}
	kqPrep(k, &st)
	lo, hi := st.lo, st.hi
	var done [kl]bool
	fnmax := float32(nmax)
	var iscale [kl]float32
	for j := range kl {
		if lo[j] > 0 {
			lo[j] = 0
		}
		done[j] = hi[j] == lo[j] // all equal: codes 0, scale 0, min −lo
		iscale[j] = fnmax / (hi[j] - lo[j])
		scale[j] = 1 / iscale[j]
	}
	var sums [3][kl]float32
	st.lo = lo
	kqStep(k, &iscale, &lo, nmax, &sums)
	k.L = k.Laux
	kqErr(k, &scale, &lo, &st.best)
	st.scale = scale
	for j := range kl {
		if !done[j] {
			st.live[j] = -1
		}
	}
	kqLoop(k, &st)
	scale, lo = st.scale, st.lo
	for j := range kl {
		if done[j] {
			for i := range 32 {
				k.L[i][j] = 0
			}
			scale[j] = 0
		}
		theMin[j] = -lo[j]
	}
	return scale, theMin
}

// kqPrepGeneric sets each lane's weights w = av_x + |x| (av_x the RMS of
// the lane's 32 values, summed in order) and st's lo, hi (running C
// comparisons from x[0]), sumW = Σ w and sumX = Σ w·x in element order.
func kqPrepGeneric(k *kLanes, st *kqState) {
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

// kqFinalGeneric requantizes the codes with the packed scales: on each lane
// with dj ≠ 0, L = clamp(nearest_int((x + dm)/dj), 0, nmax).
func kqFinalGeneric(k *kLanes, dj, dm *[kl]float32, nmax int32) {
	for j := range kl {
		if dj[j] == 0 {
			continue
		}
		for i := range 32 {
			k.L[i][j] = clamp(nearestInt((k.x[i][j]+dm[j])/dj[j]), 0, nmax)
		}
	}
}

// kqState is the per-lane state of the candidate-scale loop (kqLoop).
// Offsets are fixed for kquant_amd64.s (TestKqStateLayout).
type kqState struct {
	lo, hi, sumW, sumX [kl]float32
	scale, best        [kl]float32 // the best fit so far and its error
	live               [kl]int32   // −1: lane still fitting (not all equal)
	nmax               int32
	rmin, rdelta       float32
	nstep              int64
}

// kqLoopGeneric tries the candidate scales is = 0…nstep of makeQKX2 on
// every live lane, keeping the best fit in st and its codes in k.L.
func kqLoopGeneric(k *kLanes, st *kqState) {
	var sums [3][kl]float32
	var iscale, thisScale, thisMin, curErr [kl]float32
	var ok [kl]bool
	fnmax := float32(st.nmax)
	for is := 0; is <= int(st.nstep); is++ {
		num := st.rmin + float32(st.rdelta*float32(is)) + fnmax
		for j := range kl {
			iscale[j] = num / (st.hi[j] - st.lo[j])
		}
		kqStepGeneric(k, &iscale, &st.lo, st.nmax, &sums)
		for j := range kl {
			sumL, sumL2, sumXL := sums[0][j], sums[1][j], sums[2][j]
			D := float32(st.sumW[j]*sumL2) - float32(sumL*sumL)
			ok[j] = D > 0 && st.live[j] != 0
			thisScale[j], thisMin[j] = 0, 0
			if ok[j] {
				thisScale[j] = (float32(st.sumW[j]*sumXL) - float32(st.sumX[j]*sumL)) / D
				thisMin[j] = (float32(sumL2*st.sumX[j]) - float32(sumL*sumXL)) / D
				if thisMin[j] > 0 {
					thisMin[j] = 0
					thisScale[j] = sumXL / sumL2
				}
			}
		}
		kqErrGeneric(k, &thisScale, &thisMin, &curErr)
		for j := range kl {
			if ok[j] && curErr[j] < st.best[j] {
				for i := range 32 {
					k.L[i][j] = k.Laux[i][j]
				}
				st.best[j] = curErr[j]
				st.scale[j] = thisScale[j]
				st.lo[j] = thisMin[j]
			}
		}
	}
}

// kqStepGeneric computes, per lane j, the codes
// Laux = clamp(nearest_int(iscale·(x − lo)), 0, nmax) and the weighted sums
// Σ w·l, Σ (w·l)·l, Σ (w·l)·x in element order.
func kqStepGeneric(k *kLanes, iscale, lo *[kl]float32, nmax int32, sums *[3][kl]float32) {
	var sL, sL2, sXL [kl]float32
	for i := range 32 {
		for j := range kl {
			l := clamp(nearestInt(iscale[j]*(k.x[i][j]-lo[j])), 0, nmax)
			k.Laux[i][j] = l
			fl := float32(l)
			wl := float32(k.w[i][j] * fl)
			sL[j] += wl
			sL2[j] += float32(wl * fl)
			sXL[j] += float32(wl * k.x[i][j])
		}
	}
	sums[0], sums[1], sums[2] = sL, sL2, sXL
}

// kqErrGeneric computes, per lane, Σ w·d² with d = (scale·Laux + min) − x,
// in element order.
func kqErrGeneric(k *kLanes, scale, theMin *[kl]float32, errs *[kl]float32) {
	var e [kl]float32
	for i := range 32 {
		for j := range kl {
			d := float32(scale[j]*float32(k.Laux[i][j])) + theMin[j] - k.x[i][j]
			d = d * d
			e[j] += float32(k.w[i][j] * d)
		}
	}
	*errs = e
}
