package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
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
			var k kLanes
			var x [8][32]float32
			var w [8][32]float32
			for j := range 8 {
				g := gens[(trial+j*(trial/len(gens)+1))%len(gens)]
				for l := range 32 {
					x[j][l] = g(32*j + l)
					w[j][l] = float32(0.5 + r.Float64())
					k.x[l][j], k.w[l][j] = x[j][l], w[j][l]
				}
			}
			for _, path := range []string{"dispatched", "go"} {
				t.Run(fmt.Sprintf("%d/%d/%s", p.nmax, trial, path), func(t *testing.T) {
					k := k
					if path == "go" {
						s, e, l := kqStep, kqErr, kqLoop
						kqStep, kqErr, kqLoop = kqStepGeneric, kqErrGeneric, kqLoopGeneric
						defer func() { kqStep, kqErr, kqLoop = s, e, l }()
					}
					scale, mins := k.fit(p.nmax, p.rmin, p.rdelta, p.nstep)
					for j := range 8 {
						var L, Laux [32]uint8
						ws, wm := makeQKX2(p.nmax, x[j][:], w[j][:], L[:], Laux[:], p.rmin, p.rdelta, p.nstep)
						if math.Float32bits(ws) != math.Float32bits(scale[j]) || math.Float32bits(wm) != math.Float32bits(mins[j]) {
							t.Fatalf("lane %d: scale, min = %v, %v; scalar %v, %v", j, scale[j], mins[j], ws, wm)
						}
						for l := range 32 {
							if int32(L[l]) != k.L[l][j] {
								t.Fatalf("lane %d: L[%d] = %d, scalar %d", j, l, k.L[l][j], L[l])
							}
						}
					}
				})
			}
		}
	}
}

// TestKqStateLayout pins the kqState offsets that kquant_amd64.s uses.
func TestKqStateLayout(t *testing.T) {
	var s kqState
	var k kLanes
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"lo", unsafe.Offsetof(s.lo), 0}, {"hi", unsafe.Offsetof(s.hi), 32}, {"sumW", unsafe.Offsetof(s.sumW), 64},
		{"sumX", unsafe.Offsetof(s.sumX), 96}, {"scale", unsafe.Offsetof(s.scale), 128}, {"best", unsafe.Offsetof(s.best), 160},
		{"live", unsafe.Offsetof(s.live), 192}, {"nmax", unsafe.Offsetof(s.nmax), 224}, {"rmin", unsafe.Offsetof(s.rmin), 228},
		{"rdelta", unsafe.Offsetof(s.rdelta), 232}, {"nstep", unsafe.Offsetof(s.nstep), 240},
		{"k.w", unsafe.Offsetof(k.w), 1024}, {"k.L", unsafe.Offsetof(k.L), 2048}, {"k.Laux", unsafe.Offsetof(k.Laux), 3072},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, asm assumes %d", c.name, c.got, c.want)
		}
	}
}
