package matmul

// tileI8Generic is the reference integer micro-kernel: for rows r ∈ {0,1}
// of the tile and the 16 vectors (group i ∈ {0,1}, lane l) it computes
//
//	acc := float32(0)
//	for each superblock b:
//		S1 := Σ_groups sc·Σ_{e in group} q[r][e]·y[i][l][e]     (exact int32)
//		S2 := Σ_p m_2p·bsum_2p + m_2p+1·bsum_2p+1               (epiMins, epiOffK)
//		epiOffK: S1 = S1 − S2;  epiOff0: S1 = S1 − off·Σy[i][b][l]
//		A, B := ab[r][2b], ab[r][2b+1];  dy := d[i][b][l]
//		acc = acc + float32(S1)·(A·dy)                           (every operation rounded to float32,
//		epiMins:   acc = acc − float32(S2)·(B·dy)                 in this order, no fused multiply-add)
//		epiLegacy: acc = acc + B·s[i][b][l]
//	out[r][8i+l] = acc
//
// for each of t.pairs group pairs. The integer sums are exact in int32 (every
// code and scale is bounded by its format), so any evaluation order gives
// the same S1 and S2; the AVX2 kernel sums them in int16/int32 SIMD lanes and
// then performs exactly these float operations.
func tileI8Generic(t *i8Tile) {
	for p := range t.pairs {
		tileI8Pair(t, p)
	}
}

// tileI8Pair computes group pair p of t (see tileI8Generic).
func tileI8Pair(t *i8Tile, p int) {
	sb := t.gs * t.gpb
	yo, do, bo := p*t.ystride, p*t.dstride/4, p*t.bstride/4
	out := t.out[p*4*lanes : (p+1)*4*lanes]
	for r := range 2 {
		q, sc, mins, ab := t.q[r], t.sc[r], t.mins[r], t.ab[r]
		for i := range 2 {
			y, d := t.y[i][yo:], t.d[i][do:]
			var acc [lanes]float32
			for b := range t.nsb {
				var s1, s2 [lanes]int32
				for g := range t.gpb {
					var sum [lanes]int32
					for e := b*sb + g*t.gs; e < b*sb+(g+1)*t.gs; e += 4 {
						w0, w1 := int32(int8(q[e])), int32(int8(q[e+1]))
						w2, w3 := int32(int8(q[e+2])), int32(int8(q[e+3]))
						ys := y[e*lanes : e*lanes+4*lanes] // 4 codes of each lane
						for l := range lanes {
							sum[l] += w0*int32(int8(ys[4*l])) + w1*int32(int8(ys[4*l+1])) + w2*int32(int8(ys[4*l+2])) + w3*int32(int8(ys[4*l+3]))
						}
					}
					s := int32(int16(sc[b*t.gpb+g]))
					for l := range lanes {
						s1[l] += sum[l] * s
					}
				}
				switch t.epi {
				case epiMins, epiOffK:
					bs := t.bs[i][bo+8*b*lanes : bo+8*(b+1)*lanes]
					for l := range lanes {
						for p := range 8 {
							m, v := mins[8*b+p], bs[p*lanes+l]
							s2[l] += int32(int16(m))*int32(int16(v)) + int32(int16(m>>16))*int32(int16(v>>16))
						}
						if t.epi == epiOffK {
							s1[l] -= s2[l]
						}
					}
				case epiOff0:
					for l := range lanes {
						s1[l] -= int32(t.off) * t.sy[i][do+b*lanes+l]
					}
				}
				for l := range lanes {
					acc[l] += float32(float32(s1[l]) * float32(ab[2*b]*d[b*lanes+l]))
				}
				switch t.epi {
				case epiMins:
					for l := range lanes {
						acc[l] -= float32(float32(s2[l]) * float32(ab[2*b+1]*d[b*lanes+l]))
					}
				case epiLegacy:
					for l := range lanes {
						acc[l] += float32(ab[2*b+1] * t.s[i][do+b*lanes+l])
					}
				}
			}
			copy(out[r*2*lanes+i*lanes:], acc[:])
		}
	}
}

// tileF32Generic is the reference float micro-kernel: for rows r ∈ {0,1}
// and the 16 vectors (group i, lane l), with x[i][e][l] the activation
// element e of that vector,
//
//	even, odd := float32(0), float32(0)
//	for e := 0; e < cols; e += 2 {
//		even = even + w[r][e]·x[i][e][l]       (t.fma false: product rounded, then sum rounded;
//		odd  = odd + w[r][e+1]·x[i][e+1][l]     t.fma true: fma32, one rounding)
//	}
//	out[r][8i+l] = even + odd
//
// (an odd last element goes to even), for each of t.pairs group pairs. Two
// chains per output halve the dependency latency of the SIMD version. The
// SIMD tiles take t.fma as given (vfmadd231ps, which fma32 matches bit for
// bit); which kinds fuse is decided in planF (package doc, Numerics).
func tileF32Generic(t *fTile) {
	for p := range t.pairs {
		tileF32Pair(t, p)
	}
}

// tileF32Pair computes group pair p of t (see tileF32Generic).
func tileF32Pair(t *fTile, p int) {
	cols := len(t.w[0])
	out := t.out[p*4*lanes : (p+1)*4*lanes]
	for r := range 2 {
		for i := range 2 {
			x := t.x[i][p*t.xstride/4 : p*t.xstride/4+cols*lanes]
			dotLanes(t.w[r], x, out[r*2*lanes+i*lanes:r*2*lanes+(i+1)*lanes], t.fma)
		}
	}
}

// dotLanes is the per-output loop of tileF32Generic: out[l] for the lanes
// vectors of one group (x[e][l], e < len(w)) against one row w, fused
// (fma32) or not. The explicit float32 conversions of the products keep
// the compiler from fusing the separate multiply and add (the Go spec
// allows fusing x*y + z only without them; arm64 would).
func dotLanes(w, x, out []float32, fma bool) {
	if fma {
		dotLanesFused(w, x, out)
		return
	}
	var even, odd [lanes]float32
	e := 0
	for ; e+1 < len(w); e += 2 {
		w0, w1 := w[e], w[e+1]
		x0, x1 := x[e*lanes:(e+1)*lanes], x[(e+1)*lanes:(e+2)*lanes]
		for l := range lanes {
			even[l] += float32(w0 * x0[l])
			odd[l] += float32(w1 * x1[l])
		}
	}
	if e < len(w) {
		for l := range lanes {
			even[l] += float32(w[e] * x[e*lanes+l])
		}
	}
	for l := range lanes {
		out[l] = even[l] + odd[l]
	}
}

// dotLanesFused is dotLanes with every step acc = fma32(w, x, acc).
func dotLanesFused(w, x, out []float32) {
	var even, odd [lanes]float32
	e := 0
	for ; e+1 < len(w); e += 2 {
		w0, w1 := w[e], w[e+1]
		x0, x1 := x[e*lanes:(e+1)*lanes], x[(e+1)*lanes:(e+2)*lanes]
		for l := range lanes {
			even[l] = fma32(w0, x0[l], even[l])
			odd[l] = fma32(w1, x1[l], odd[l])
		}
	}
	if e < len(w) {
		for l := range lanes {
			even[l] = fma32(w[e], x[e*lanes+l], even[l])
		}
	}
	for l := range lanes {
		out[l] = even[l] + odd[l]
	}
}

// tileF32WGeneric is the wide float tile (fTileW) with tileF32Generic's
// operations for every output: the AVX-512 kernel's twin.
func tileF32WGeneric(t *fTileW) {
	cols := t.cols
	for p := range t.pairs {
		xa := t.x[p*t.xstride/4:]
		xs := [2][]float32{xa[:cols*lanes], xa[t.dx/4 : t.dx/4+cols*lanes]}
		for r := range fWideRows {
			out := t.out[(p*fWideRows+r)*2*lanes:]
			for i, x := range xs {
				dotLanes(t.w[r*cols:(r+1)*cols], x, out[i*lanes:(i+1)*lanes], t.fma)
			}
		}
	}
}
