package matmul

// tileI8Generic is the reference integer micro-kernel: for rows r ∈ {0,1}
// of the tile and the 16 vectors (group i ∈ {0,1}, lane l) it computes
//
//	acc := float32(0)
//	for each superblock b:
//		S1 := Σ_groups sc·Σ_{e in group} q[r][e]·y[i][l][e]     (exact int32)
//		S2 := Σ_p m_2p·bsum_2p + m_2p+1·bsum_2p+1               (epiMins)
//		A, B := ab[r][2b], ab[r][2b+1];  dy := d[i][b][l]
//		acc = acc + float32(S1)·(A·dy)                           (every operation rounded to float32,
//		epiMins:   acc = acc − float32(S2)·(B·dy)                 in this order, no fused multiply-add)
//		epiLegacy: acc = acc + B·s[i][b][l]
//	out[r][8i+l] = acc
//
// The integer sums are exact in int32 (every code and scale is bounded by
// its format), so any evaluation order gives the same S1 and S2; the AVX2
// kernel sums them in int16/int32 SIMD lanes and then performs exactly these
// float operations.
func tileI8Generic(t *i8Tile) {
	sb := t.gs * t.gpb
	for r := range 2 {
		q, sc, mins, ab := t.q[r], t.sc[r], t.mins[r], t.ab[r]
		for i := range 2 {
			y, d := t.y[i], t.d[i]
			for l := range lanes {
				var acc float32
				for b := range t.nsb {
					var s1 int32
					for g := range t.gpb {
						e0 := b*sb + g*t.gs
						var sum int32
						for e := e0; e < e0+t.gs; e++ {
							sum += int32(q[e]) * int32(y[(e/4)*4*lanes+l*4+e%4])
						}
						s1 += sum * int32(int16(sc[b*t.gpb+g]))
					}
					dy := d[b*lanes+l]
					acc += float32(float32(s1) * float32(ab[2*b]*dy))
					switch t.epi {
					case epiMins:
						var s2 int32
						for p := range 8 {
							m, bs := mins[8*b+p], t.bs[i][(8*b+p)*lanes+l]
							s2 += int32(int16(m))*int32(int16(bs)) + int32(int16(m>>16))*int32(int16(bs>>16))
						}
						acc -= float32(float32(s2) * float32(ab[2*b+1]*dy))
					case epiLegacy:
						acc += float32(ab[2*b+1] * t.s[i][b*lanes+l])
					}
				}
				t.out[r][i*lanes+l] = acc
			}
		}
	}
}

// tileF32Generic is the reference float micro-kernel: for rows r ∈ {0,1}
// and the 16 vectors (group i, lane l), with x[i][e][l] the activation
// element e of that vector,
//
//	even, odd := float32(0), float32(0)
//	for e := 0; e < cols; e += 2 {
//		even = even + w[r][e]·x[i][e][l]       (product rounded, then sum rounded;
//		odd  = odd + w[r][e+1]·x[i][e+1][l]     no fused multiply-add)
//	}
//	out[r][8i+l] = even + odd
//
// (an odd last element goes to even). Two chains per output halve the
// dependency latency of the SIMD version.
func tileF32Generic(t *fTile) {
	for r := range 2 {
		w := t.w[r]
		for i := range 2 {
			x := t.x[i]
			for l := range lanes {
				var even, odd float32
				e := 0
				for ; e+1 < len(w); e += 2 {
					even += float32(w[e] * x[e*lanes+l])
					odd += float32(w[e+1] * x[(e+1)*lanes+l])
				}
				if e < len(w) {
					even += float32(w[e] * x[e*lanes+l])
				}
				t.out[r][i*lanes+l] = even + odd
			}
		}
	}
}
