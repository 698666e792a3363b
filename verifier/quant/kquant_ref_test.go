package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// makeQKX2 is make_qkx2_quants with use_mad = false: it fits x ≈ scale·L −
// theMin with L in [0, nmax] by weighted least squares, trying nstep+1
// candidate scales. L and Laux must have len(x) elements.
func makeQKX2(nmax int32, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	n := len(x)
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		lo = min32(lo, x[i])
		hi = max32(hi, x[i])
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		clear(L[:n])
		return 0, -lo
	}
	fnmax := float32(nmax)
	iscale := fnmax / (hi - lo)
	scale = 1 / iscale
	var bestErr float32
	for i := range n {
		L[i] = uint8(clamp(nearestInt(iscale*(x[i]-lo)), 0, nmax))
		diff := float32(scale*float32(L[i])) + lo - x[i]
		diff = diff * diff
		bestErr += float32(weights[i] * diff)
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fnmax) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := clamp(nearestInt(iscale*(x[i]-lo)), 0, nmax)
			Laux[i] = uint8(l)
			w, fl := weights[i], float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := range n {
				diff := float32(thisScale*float32(Laux[i])) + thisMin - x[i]
				diff = diff * diff
				curErr += float32(weights[i] * diff)
			}
			if curErr < bestErr {
				copy(L[:n], Laux[:n])
				bestErr = curErr
				scale = thisScale
				lo = thisMin
			}
		}
	}
	return scale, -lo
}

// TestLanesLikeScalar: kLanes.fit (with the dispatched passes and with the
// Go ones) gives bitwise makeQKX2's scales, mins and codes on each of its 8
// lanes, for Q4_K's and Q5_K's parameters, on random sub-blocks and on edge
// cases (constant, all positive, zeros, tiny and huge magnitudes, a single
// spike, mixtures of those in one super-block).
func TestLanesLikeScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	gens := []func(i int) float32{
		func(int) float32 { return float32(r.NormFloat64()) },
		func(int) float32 { return 0.25 },
		func(int) float32 { return float32(1 + r.Float64()) },
		func(int) float32 { return 0 },
		func(int) float32 { return float32(r.NormFloat64() * 1e-20) },
		func(int) float32 { return float32(r.NormFloat64() * 1e20) },
		func(i int) float32 { return float32(min(i%32, 1)) * -3 },
		func(int) float32 { return float32(int(r.IntN(5)) - 2) },
	}
	for _, p := range []struct {
		nmax         int32
		rmin, rdelta float32
		nstep        int
	}{{15, -1, 0.1, 20}, {31, -0.5, 0.1, 15}} {
		for trial := range 300 {
			var x [kl][32]float32
			var w [kl][32]float32
			for j := range kl {
				g := gens[(trial+j*(trial/len(gens)+1))%len(gens)]
				var sumX2 float32
				for l := range 32 {
					x[j][l] = g(32*j + l)
					sumX2 += float32(x[j][l] * x[j][l])
				}
				avX := sqrt32(sumX2 / 32)
				for l := range 32 {
					w[j][l] = avX + abs32(x[j][l])
				}
			}
			src := unsafe.Slice(&x[0][0], kl*32) // sub-block j = lane j
			for _, path := range kqPaths {
				t.Run(fmt.Sprintf("%d/%d/%s", p.nmax, trial, path.name), func(t *testing.T) {
					var k kLanes
					var st kqState
					defer path.set()()
					scale, mins := k.fit(src, kl/8, &st, p.nmax, p.rmin, p.rdelta, p.nstep)
					for j := range kl {
						var L, Laux [32]uint8
						ws, wm := makeQKX2(p.nmax, x[j][:], w[j][:], L[:], Laux[:], p.rmin, p.rdelta, p.nstep)
						if math.Float32bits(ws) != math.Float32bits(scale[j]) || math.Float32bits(wm) != math.Float32bits(mins[j]) {
							t.Fatalf("lane %d: scale, min = %v, %v; scalar %v, %v", j, scale[j], mins[j], ws, wm)
						}
						for l := range 32 {
							var got int32
							if st.live[j] != 0 {
								got = kqCode(st.win[j], x[j][l], st.winLo[j], p.nmax)
							}
							if int32(L[l]) != got {
								t.Fatalf("lane %d: L[%d] = %d, scalar %d", j, l, got, L[l])
							}
						}
					}
				})
			}
		}
	}
}

// makeQX is make_qx_quants with rmse_type = 1 and no importance weights
// (weights x²): it fits x ≈ scale·(L−nmax) with L−nmax in [−nmax, nmax−1],
// trying 19 candidate scales. L must have len(x) elements.
func makeQX(nmax int32, x []float32, L []int8) float32 {
	amax, max := absMaxSigned(x)
	if amax < groupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	fnmax := float32(nmax)
	// sums computes Σw·x·l and Σw·l² for the codes of iscale, storing the
	// codes in L when store is set.
	sums := func(iscale float32, store bool) (sumlx, suml2 float32) {
		for i, v := range x {
			l := clamp(nearestInt(iscale*v), -nmax, nmax-1)
			if store {
				L[i] = int8(l + nmax)
			}
			w, fl := float32(v*v), float32(l)
			sumlx += float32(w * v * fl)
			suml2 += float32(w * fl * fl)
		}
		return sumlx, suml2
	}
	sumlx, suml2 := sums(-fnmax/max, true)
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := int32(-9); is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale := -(fnmax + float32(0.1*float32(is))) / max
		sumlx, suml2 = sums(iscale, false)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			sums(iscale, true)
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// TestQXLanesLikeScalar: qxLanes.fit (dispatched and Go) gives bitwise
// makeQX's scales and codes on each of its 16 lanes.
func TestQXLanesLikeScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for trial := range 400 {
		var q qxLanes
		var x [16][16]float32
		for j := range 16 {
			kind := (trial*5 + j*3) % 8
			for i := range 16 {
				var v float32
				switch kind {
				case 0, 1, 2:
					v = float32(r.NormFloat64() * math.Pow(10, float64(trial%9-4)))
				case 3:
					v = -0.75
				case 4:
					v = 0
				case 5:
					v = float32(r.NormFloat64() * 1e-17)
				case 6:
					v = float32(r.NormFloat64() * 1e18)
				case 7:
					if i == trial%16 {
						v = 3
					}
				}
				x[j][i] = v
			}
		}
		for _, path := range kqPaths {
			q := q
			restore := path.set()
			scales := q.fit((*[QK_K]float32)(unsafe.Pointer(&x)), 32)
			restore()
			for j := range 16 {
				var L [16]int8
				want := makeQX(32, x[j][:], L[:])
				if math.Float32bits(want) != math.Float32bits(scales[j]) {
					t.Fatalf("trial %d, %s, lane %d: scale %v, scalar %v", trial, path.name, j, scales[j], want)
				}
				for i := range 16 {
					if int32(L[i]) != q.L[i][j] {
						t.Fatalf("trial %d, %s, lane %d: L[%d] = %d, scalar %d", trial, path.name, j, i, q.L[i][j], L[i])
					}
				}
			}
		}
	}
}

// quantKRef is the scalar reference of quantize_row_q4_K_ref's and
// q5_K_ref's scale search and packing for one super-block: makeQKX2 per
// sub-block, then the scales packed and the codes requantized.
func quantKRef(x []float32, nmax int32, rmin, rdelta float32, nstep int, L *[QK_K]uint8, dst []byte) {
	var scales, mins [8]float32
	var weights [32]float32
	var laux [32]uint8
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKX2(nmax, xs, weights[:], L[32*j:32*j+32], laux[:], rmin, rdelta, nstep)
	}
	var maxScale, maxMin float32
	for j := range 8 {
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := dst[4:16]
	for j := range 8 {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(dst, maxScale/63)
	putF16(dst[2:], maxMin/63)
	d, dmin := f16At(dst), f16At(dst[2:])
	for j := range 8 {
		s, m := scaleMinK4(j, sc)
		dj := float32(d * float32(s))
		if dj == 0 {
			continue
		}
		dm := float32(dmin * float32(m))
		for i, v := range x[32*j : 32*j+32] {
			L[32*j+i] = uint8(clamp(nearestInt((v+dm)/dj), 0, nmax))
		}
	}
}

// TestKQuantLikeScalar: quantQ4_K and quantQ5_K (dispatched and Go
// passes) write the same bytes as the scalar reference, on rows of 1 to 5
// super-blocks (kLanes takes four at a time) mixing random, constant,
// positive, zero, tiny, huge and sparse sub-blocks.
func TestKQuantLikeScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, p := range []struct {
		typ          string
		quant        func([]float32, []byte)
		bs           int
		nmax         int32
		rmin, rdelta float32
		nstep        int
		pack         func(*[QK_K]uint8, []byte)
	}{{"Q4_K", quantQ4_K, 144, 15, -1, 0.1, 20, packQ4KGeneric}, {"Q5_K", quantQ5_K, 176, 31, -0.5, 0.1, 15, packQ5KGeneric}} {
		for trial := range 300 {
			nb := 1 + trial%5
			x := make([]float32, nb*QK_K)
			for j := range nb * 8 {
				kind := (trial*7 + j*3) % 9
				for l := range 32 {
					var v float32
					switch kind {
					case 0, 1, 2:
						v = float32(r.NormFloat64() * math.Pow(10, float64(trial%7-3)))
					case 3:
						v = 0.5
					case 4:
						v = float32(0.1 + r.Float64())
					case 5:
						v = 0
					case 6:
						v = float32(r.NormFloat64() * 1e-30)
					case 7:
						v = float32(r.NormFloat64() * 1e25)
					case 8:
						if l == trial%32 {
							v = -4
						}
					}
					x[32*j+l] = v
				}
			}
			want := make([]byte, nb*p.bs)
			for b := range nb {
				var L [QK_K]uint8
				quantKRef(x[b*QK_K:(b+1)*QK_K], p.nmax, p.rmin, p.rdelta, p.nstep, &L, want[b*p.bs:])
				p.pack(&L, want[b*p.bs:(b+1)*p.bs])
			}
			for _, path := range kqPaths {
				restore := path.set()
				got := make([]byte, nb*p.bs)
				p.quant(x, got)
				restore()
				if string(got) != string(want) {
					t.Fatalf("%s, trial %d (%d super-blocks), %s: differs from the scalar reference", p.typ, trial, nb, path.name)
				}
			}
		}
	}
}

// kqPaths are the code paths of the K-quant passes: as dispatched, AVX2
// only (the candidate loop on two halves), and Go.
var kqPaths = []struct {
	name string
	set  func() (restore func())
}{
	{"dispatched", func() func() { return func() {} }},
	{"avx2", func() func() {
		old := kqAVX512
		kqAVX512 = false
		return func() { kqAVX512 = old }
	}},
	{"go", func() func() {
		old := kqAsm
		kqAsm = false
		return func() { kqAsm = old }
	}},
}

// TestKqStateLayout pins the kqState offsets that kquant_amd64.s uses.
func TestKqStateLayout(t *testing.T) {
	var s kqState
	var k kLanes
	var a kqCodeArgs
	var q qxLanes
	var qs qxState
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"lo", unsafe.Offsetof(s.lo), 0}, {"hi", unsafe.Offsetof(s.hi), 128}, {"sumW", unsafe.Offsetof(s.sumW), 256},
		{"sumX", unsafe.Offsetof(s.sumX), 384}, {"scale", unsafe.Offsetof(s.scale), 512}, {"best", unsafe.Offsetof(s.best), 640},
		{"live", unsafe.Offsetof(s.live), 768}, {"win", unsafe.Offsetof(s.win), 896}, {"winLo", unsafe.Offsetof(s.winLo), 1024},
		{"nmax", unsafe.Offsetof(s.nmax), 1152}, {"rmin", unsafe.Offsetof(s.rmin), 1156},
		{"rdelta", unsafe.Offsetof(s.rdelta), 1160}, {"nstep", unsafe.Offsetof(s.nstep), 1168},
		{"k.w", unsafe.Offsetof(k.w), 4096}, {"k.l", unsafe.Offsetof(k.l), 8192},
		{"a.dm", unsafe.Offsetof(a.dm), 32}, {"a.win", unsafe.Offsetof(a.win), 64}, {"a.winLo", unsafe.Offsetof(a.winLo), 96},
		{"a.mode", unsafe.Offsetof(a.mode), 128}, {"a.nmax", unsafe.Offsetof(a.nmax), 160},
		{"q.L", unsafe.Offsetof(q.L), 1024}, {"q.Laux", unsafe.Offsetof(q.Laux), 2048},
		{"q.w", unsafe.Offsetof(q.w), 3072}, {"q.wx", unsafe.Offsetof(q.wx), 4096},
		{"qs.scale", unsafe.Offsetof(qs.scale), 64}, {"qs.best", unsafe.Offsetof(qs.best), 128},
		{"qs.live", unsafe.Offsetof(qs.live), 192}, {"qs.nmax", unsafe.Offsetof(qs.nmax), 256},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, asm assumes %d", c.name, c.got, c.want)
		}
	}
}

// quantQ6KRef is quantize_row_q6_K_ref written plainly: makeQX per
// sub-block of 16, the scales packed as int8 with iscale = −128/max, the
// codes requantized with the packed scales, then the 6-bit packing.
func quantQ6KRef(src []float32, dst []byte) {
	for ; len(src) >= QK_K; src, dst = src[QK_K:], dst[210:] {
		x := src[:QK_K]
		clear(dst[:210])
		var L [QK_K]int8
		var scales [16]float32
		var maxScale, maxAbsScale float32
		for ib := range 16 {
			scales[ib] = makeQX(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
			if a := abs32(scales[ib]); a > maxAbsScale {
				maxAbsScale, maxScale = a, scales[ib]
			}
		}
		if maxAbsScale < groupMaxEps {
			continue
		}
		iscale := -128 / maxScale
		putF16(dst[208:], 1/iscale)
		for ib := range 16 {
			dst[192+ib] = uint8(int8(min(127, nearestInt(iscale*scales[ib]))))
		}
		d := f16At(dst[208:])
		for j := range 16 {
			dj := float32(d * float32(int8(dst[192+j])))
			if dj == 0 {
				continue
			}
			for i := range 16 {
				l := nearestInt(x[16*j+i] / dj)
				L[16*j+i] = int8(clamp(l, -32, 31) + 32)
			}
		}
		for j := 0; j < QK_K; j += 128 {
			ql, qh := dst[j/2:], dst[128+j/4:]
			for l := range 32 {
				q1, q2 := uint8(L[j+l])&0xf, uint8(L[j+l+32])&0xf
				q3, q4 := uint8(L[j+l+64])&0xf, uint8(L[j+l+96])&0xf
				ql[l] = q1 | q3<<4
				ql[l+32] = q2 | q4<<4
				qh[l] = uint8(L[j+l])>>4 | uint8(L[j+l+32])>>4<<2 | uint8(L[j+l+64])>>4<<4 | uint8(L[j+l+96])>>4<<6
			}
		}
	}
}

// TestQ6KLikeScalar: quantQ6_K (every path) writes quantQ6KRef's bytes on
// rows of 1 to 3 super-blocks mixing random, constant, zero, tiny, huge and
// sparse sub-blocks.
func TestQ6KLikeScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	for trial := range 300 {
		nb := 1 + trial%3
		x := make([]float32, nb*QK_K)
		for j := range nb * 16 {
			kind := (trial*7 + j*3) % 9
			for i := range 16 {
				var v float32
				switch kind {
				case 0, 1, 2:
					v = float32(r.NormFloat64() * math.Pow(10, float64(trial%7-3)))
				case 3:
					v = -0.5
				case 4:
					v = float32(0.1 + r.Float64())
				case 5:
					v = 0
				case 6:
					v = float32(r.NormFloat64() * 1e-30)
				case 7:
					v = float32(r.NormFloat64() * 1e25)
				case 8:
					if i == trial%16 {
						v = 4
					}
				}
				x[16*j+i] = v
			}
		}
		want := make([]byte, nb*210)
		quantQ6KRef(x, want)
		for _, path := range kqPaths {
			restore := path.set()
			got := make([]byte, nb*210)
			quantQ6_K(x, got)
			restore()
			if string(got) != string(want) {
				t.Fatalf("trial %d (%d super-blocks), %s: differs from the scalar reference", trial, nb, path.name)
			}
		}
	}
}

// TestQ6KPassesLikeGo: the dispatched qxPrep and qxFinal equal their Go
// twins (maxima, live lanes, weights, finiteness, codes), and quantQ6_K
// writes the Go path's bytes, also on rows with NaN and ±Inf (where the
// AVX-512 search must step aside for the Go one).
func TestQ6KPassesLikeGo(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, 0, -0.0}
	for trial := range 200 {
		var xs [QK_K]float32
		for i := range xs {
			xs[i] = float32(r.NormFloat64() * math.Pow(10, float64(trial%11-5)))
			if trial%3 == 0 && r.IntN(40) == 0 {
				xs[i] = special[r.IntN(len(special))]
			}
		}
		var a, b qxLanes
		var sa, sb qxState
		fa, fb := qxPrep(&a, &sa, &xs), qxPrepGeneric(&b, &sb, &xs)
		if fa != fb || sa != sb || !sameBits(a.x[:], b.x[:]) || !sameBits(a.w[:], b.w[:]) || !sameBits(a.wx[:], b.wx[:]) {
			t.Fatalf("trial %d: qxPrep differs from qxPrepGeneric (finite %v, %v)", trial, fa, fb)
		}
		var dj [16]float32
		for j := range dj {
			dj[j] = float32(r.NormFloat64() * math.Pow(10, float64(trial%7-3)))
			if j%5 == 0 {
				dj[j] = special[(trial+j)%len(special)]
			}
		}
		qxFinal(&a, &dj)
		qxFinalGeneric(&b, &dj)
		if a.L != b.L {
			t.Fatalf("trial %d: qxFinal differs from qxFinalGeneric", trial)
		}
		for i := range 16 {
			for j := range 16 {
				a.L[i][j] = r.Int32N(64) // any 6-bit codes
			}
		}
		var pa, pb [192]byte
		qxPack(&a, &pa)
		qxPackGeneric(&a, &pb)
		if pa != pb {
			t.Fatalf("trial %d: qxPack differs from qxPackGeneric", trial)
		}
		x := make([]float32, 2*QK_K)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if r.IntN(300) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		want := make([]byte, 2*210)
		got := make([]byte, 2*210)
		quantQ6_K(x, got)
		restore := kqPaths[2].set()
		quantQ6_K(x, want)
		restore()
		if string(got) != string(want) {
			t.Fatalf("trial %d: quantQ6_K differs from the Go path on non-finite input", trial)
		}
	}
}

// sameBits compares float32 arrays bit for bit (NaN included).
func sameBits(a, b [][16]float32) bool {
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// TestKQPassesLikeGo: the dispatched K-quant passes equal their Go twins
// bit for bit on every path (kqPrep: x, w and the state, for one and two
// super-blocks; kqLoop: the whole search state; kqCodes: the codes of
// every mode; the packings on random codes), on rows mixing random values of many magnitudes,
// subnormals, zeros, constants, and NaN and ±Inf; and quantQ4_K/quantQ5_K
// write the Go path's bytes on such rows.
func TestKQPassesLikeGo(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32,
		0, float32(math.Copysign(0, -1)), 0x1p-149, -0x1p-140, 0x1p-126}
	gen := func(trial int, x []float32) {
		for j := 0; j < len(x); j += 32 {
			kind := (trial*5 + j/32*3) % 7
			c := float32(r.NormFloat64())
			for l := range 32 {
				var v float32
				switch kind {
				case 0, 1:
					v = float32(r.NormFloat64() * math.Pow(10, float64(trial%13-6)))
				case 2:
					v = c // constant
				case 3: // all zero
				case 4:
					v = float32(r.NormFloat64() * 1e-42) // subnormal
				case 5:
					v = float32(r.NormFloat64() * 1e30)
				case 6:
					v = float32(r.IntN(7)) - 3
				}
				if trial%3 == 0 && r.IntN(50) == 0 {
					v = special[r.IntN(len(special))]
				}
				x[j+l] = v
			}
		}
	}
	params := []struct {
		nmax         int32
		rmin, rdelta float32
		nstep        int64
	}{{15, -1, 0.1, 20}, {31, -0.5, 0.1, 15}}
	for trial := range 300 {
		n := 1 + trial%4
		src := make([]float32, n*QK_K)
		gen(trial, src)
		p := params[trial%2]
		var ka, kb kLanes
		sa := kqState{nmax: p.nmax, rmin: p.rmin, rdelta: p.rdelta, nstep: p.nstep}
		sb := sa
		kqPrepGeneric(&kb, &sb, src, n)
		for _, path := range kqPaths[:2] {
			restore := path.set()
			sa = kqState{nmax: p.nmax, rmin: p.rmin, rdelta: p.rdelta, nstep: p.nstep}
			kqPrep(&ka, &sa, src, n)
			if !sameLanes(&ka.x, &kb.x, 8*n) || !sameLanes(&ka.w, &kb.w, 8*n) || !sameState(&sa, &sb, 8*n) {
				t.Fatalf("trial %d, %s: kqPrep differs from kqPrepGeneric", trial, path.name)
			}
			sa2, sb2 := sa, sb
			kqLoop(&ka, &sa2, n)
			kqLoopGeneric(&kb, &sb2)
			if !sameState(&sa2, &sb2, 8*n) {
				t.Fatalf("trial %d, %s: kqLoop differs from kqLoopGeneric:\n%+v\n%+v", trial, path.name, sa2, sb2)
			}
			restore()
		}
		var a kqCodeArgs
		a.nmax = p.nmax
		for j := range 8 {
			a.dj[j] = float32(r.NormFloat64() * math.Pow(10, float64(trial%7-3)))
			a.dm[j] = float32(r.NormFloat64())
			a.win[j] = float32(r.Float64() * 20)
			a.winLo[j] = -float32(r.Float64())
			if j%3 == 0 {
				a.dj[j] = special[(trial+j)%len(special)]
				a.win[j] = special[(trial+j+1)%len(special)]
			}
			a.mode[j] = int32((trial + j) % 3)
		}
		x := (*[QK_K]float32)(src)
		var La, Lb [QK_K]uint8
		kqCodes(x, &a, &La)
		kqCodesGeneric(x, &a, &Lb)
		if La != Lb {
			t.Fatalf("trial %d: kqCodes differs from kqCodesGeneric", trial)
		}
		for _, pk := range []struct {
			nmax         int32
			bs           int
			fast, golang func(*[QK_K]uint8, []byte)
		}{{15, 144, packQ4_K, packQ4KGeneric}, {31, 176, packQ5_K, packQ5KGeneric}} {
			for i := range La {
				La[i] = uint8(r.Int32N(pk.nmax + 1)) // any codes of the type
			}
			pa, pb := make([]byte, pk.bs), make([]byte, pk.bs)
			pk.fast(&La, pa)
			pk.golang(&La, pb)
			if string(pa) != string(pb) {
				t.Fatalf("trial %d: pack (nmax %d) differs from its Go twin", trial, pk.nmax)
			}
		}
		for _, q := range []struct {
			f  func([]float32, []byte)
			bs int
		}{{quantQ4_K, 144}, {quantQ5_K, 176}} {
			want := make([]byte, n*q.bs)
			got := make([]byte, n*q.bs)
			q.f(src, got)
			restore := kqPaths[2].set()
			q.f(src, want)
			restore()
			if string(got) != string(want) {
				t.Fatalf("trial %d: K-quant bytes differ from the Go path", trial)
			}
		}
	}
}

// sameState compares the first nl lanes of two kqStates bit for bit (NaN
// included): the passes may skip the lanes of missing super-blocks.
func sameState(a, b *kqState, nl int) bool {
	fa := [][kl]float32{a.lo, a.hi, a.sumW, a.sumX, a.scale, a.best, a.win, a.winLo}
	fb := [][kl]float32{b.lo, b.hi, b.sumW, b.sumX, b.scale, b.best, b.win, b.winLo}
	for i := range fa {
		for j := range nl {
			if math.Float32bits(fa[i][j]) != math.Float32bits(fb[i][j]) {
				return false
			}
		}
	}
	return slices.Equal(a.live[:nl], b.live[:nl]) && a.nmax == b.nmax && a.rmin == b.rmin && a.rdelta == b.rdelta && a.nstep == b.nstep
}

// sameLanes compares the first nl lanes of two kLanes arrays bit for bit.
func sameLanes(a, b *[32][kl]float32, nl int) bool {
	for i := range a {
		for j := range nl {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}
