package matmul

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Tiling. A work item is a chunk of chunkRows weight rows; its worker unpacks
// them into its panel once, then sweeps the activation groups in blocks that
// fit the L2 cache, and within a block runs the 2-row × 2-group micro-kernel
// (2 rows × 16 vectors) over the whole row length.
const (
	chunkRows = 16
	// The wide float tile (AVX-512: 24 of the 32 registers accumulate)
	// computes fWideRows rows × 16 vectors; its chunks hold two tiles, and
	// its activation sweeps may be larger (1 MiB L2 per core on Zen 4/5).
	fWideRows       = 12
	fWideChunk      = 2 * fWideRows
	fWideBlockBytes = 384 << 10
	// actBlockBytes bounds the activation bytes one sweep touches, so that
	// they stay in L2 (512 KiB per core on Zen 3, 1–2 MiB on recent Intel)
	// next to the panel while every row pair of the chunk reads them.
	actBlockBytes = 192 << 10
	// The matrix integer tile (i8TileW) sweeps wideI8BlockBytes of
	// activation codes at a time: AMX CPUs have 2 MiB of L2 per core.
	// Measured on one (Q4_K_M, best of 3, tokens/s at 64 tokens on 1 and
	// 2 threads; 8×64 tokens on 2): 192 KiB 178/346/418, 768 KiB
	// 179–184/347–361/422–427, 1.5 MiB 186/349/436 (and two 16-row
	// panels per work item instead of one: 186/336/392).
	wideI8BlockBytes = 1536 << 10
)

// MatMul computes y = x·wᵀ for a batch: y[i·w.Rows + r] = dot(row r of w, x_i)
// for i < n, where x_i = x[i·w.Cols : (i+1)·w.Cols], after converting x to
// w's vec_dot_type exactly as llama.cpp's CPU backend (package doc). It
// panics if n < 1, len(x) != n·w.Cols or len(y) != n·w.Rows (programmer
// errors). p may be nil (single-threaded, allocates scratch).
func MatMul(y []float32, w Matrix, x []float32, n int, p *Pool) {
	if p == nil {
		var a Activations
		a.Quantize(x, n, w.Cols, w.Type, nil)
		MatMulQ(y, w, &a, nil)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.act.quantize(x, n, w.Cols, w.Type, p.runLocked)
	matMulQ(y, w, &p.act, p.runLocked)
}

// MatMulQ is MatMul with activations already converted by Quantize, so that
// one conversion serves several matrices with the same input. The
// activations' type must be VecDotType(w.Type) and their length w.Cols; it
// panics otherwise, or if len(y) != n·w.Rows.
func MatMulQ(y []float32, w Matrix, a *Activations, p *Pool) {
	if p == nil {
		matMulQ(y, w, a, serial)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	matMulQ(y, w, a, p.runLocked)
}

// MatMulQs computes ys[j] = ws[j]·a for several weights sharing the
// activations (Q, K and V; gate and up) as one job of the pool, so that the
// workers are handed out work once and the small matrices' chunks fill the
// gaps of the large ones. Each ys[j] is bitwise what MatMulQ gives. It panics
// as MatMulQ does, or if len(ys) != len(ws).
func MatMulQs(ys [][]float32, ws []Matrix, a *Activations, p *Pool) {
	if len(ys) != len(ws) {
		panic(fmt.Sprintf("matmul: MatMulQs with %d outputs for %d weights", len(ys), len(ws)))
	}
	var firsts []int // first item of each product
	var fns []func(w *worker, i int)
	items := 0
	for j, w := range ws {
		n, fn := planQ(ys[j], w, a)
		firsts = append(firsts, items)
		fns = append(fns, fn)
		items += n
	}
	fn := func(w *worker, i int) {
		j := len(firsts) - 1
		for firsts[j] > i {
			j--
		}
		fns[j](w, i-firsts[j])
	}
	runItems(p, items, fn)
}

// MatMulSwiGLU computes a feed-forward block's gate and up products and
// their SwiGLU: u = up·a, g = SiLUMul(gate·a, u), bitwise MatMulQs of both
// then SiLUMul. Item i of the job computes row chunk i of the gate
// (itemRows), the same rows of up, then the SwiGLU of that column band of g
// and u while it is in the worker's cache: as a separate operation on two
// threads the SwiGLU read half of g and u from the other core (it ran slower
// than on one thread) and left those lines there for the next products'
// stores to fetch back (integer weights, 64 tokens, 2 threads, best of 5:
// Q4_0 +1.7%, Q4_K_M +1%). Float weights' 24-row chunks (AVX-512) make
// 96-byte bands, on which the strided SwiGLU cost twice the contiguous one,
// more than it saved (F16 −2% to −4%): the engine runs those in two steps.
// gate and up must have the same shape and vec_dot_type; it panics
// otherwise, or as MatMulQ does.
func MatMulSwiGLU(g, u []float32, gate, up Matrix, a *Activations, p *Pool) {
	if gate.Rows != up.Rows || gate.Cols != up.Cols || itemRows(gate) != itemRows(up) {
		panic(fmt.Sprintf("matmul: MatMulSwiGLU of a %s %d×%d gate and a %s %d×%d up", gate.Type, gate.Rows, gate.Cols, up.Type, up.Rows, up.Cols))
	}
	chunk, rows := itemRows(gate), gate.Rows
	items, fg := planQ(g, gate, a)
	_, fu := planQ(u, up, a)
	fn := func(wk *worker, i int) {
		fg(wk, i)
		fu(wk, i)
		c0 := i * chunk
		siluRows(g[c0:], u[c0:], a.n, min(chunk, rows-c0), rows)
	}
	runItems(p, items, fn)
}

type runner func(n int, fn func(w *worker, i int))

// runItems runs fn for the n items of a job on p's workers, or serially
// when p is nil.
func runItems(p *Pool, n int, fn func(w *worker, i int)) {
	if p == nil {
		serial(n, fn)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runLocked(n, fn)
}

func serial(n int, fn func(w *worker, i int)) {
	var w worker
	for i := range n {
		fn(&w, i)
	}
}

func matMulQ(y []float32, w Matrix, a *Activations, run runner) {
	run(planQ(y, w, a))
}

// planQ checks the arguments of y = w·a and cuts the product into work
// items: it returns their number and the function computing one.
func planQ(y []float32, w Matrix, a *Activations) (int, func(wk *worker, item int)) {
	k, ok := weightKinds[w.Type]
	if !ok || w.rowBytes == 0 {
		panic(fmt.Sprintf("matmul: MatMulQ with an invalid %s matrix (use NewMatrix)", w.Type))
	}
	if a.vt != k.act || a.cols != w.Cols || a.n < 1 {
		panic(fmt.Sprintf("matmul: MatMulQ(%s %d×%d) with %s activations of length %d", w.Type, w.Rows, w.Cols, a.vt, a.cols))
	}
	if len(y) != a.n*w.Rows {
		panic(fmt.Sprintf("matmul: MatMulQ: len(y) = %d, want %d·%d", len(y), a.n, w.Rows))
	}
	if k.epi == epiFloat {
		return planF(y, w, k, a)
	}
	cols := w.Cols
	gBlock := max(2, actBlockBytes/(cols*lanes)) &^ 1 // group pairs per sweep
	items := (w.Rows + chunkRows - 1) / chunkRows
	if tileI8W != nil {
		a.pairCodes() // here, before the items run
		gBlock := max(2, wideI8BlockBytes/(cols*lanes)) &^ 1
		return items, func(wk *worker, item int) {
			r0 := item * chunkRows
			nr := min(chunkRows, w.Rows-r0)
			pan := &wk.pan
			pan.unpack(w, k, r0, nr)
			pan.wideTables(k, nr)
			t := &wk.iw
			pan.setWide(t, k, wk.sums[:])
			wk.out = grow(wk.out, (gBlock/2)*chunkRows*2*lanes)
			for g0 := 0; g0 < a.groups; g0 += gBlock {
				eachPairs(g0, min(g0+gBlock, a.groups), func(g, gb, pairs int) {
					setGroupsW(t, a, g, gb, pairs, wk.out)
					tileI8W(t)
					for p := range pairs {
						storeWide(y, w.Rows, a.n, r0, nr, chunkRows, g+2*p, min(g+2*p+1, gb+2*p), wk.out[p*chunkRows*2*lanes:])
					}
				})
			}
		}
	}
	return items, func(wk *worker, item int) {
		r0 := item * chunkRows
		nr := min(chunkRows, w.Rows-r0)
		pan := &wk.pan
		pan.unpack(w, k, r0, nr)
		wk.out = grow(wk.out, (gBlock/2)*4*lanes)
		pan.setKind(&wk.it, k)
		for g0 := 0; g0 < a.groups; g0 += gBlock {
			// Per group block (and an odd last group), the row pairs:
			// the tile's group fields are set once for all of them.
			eachPairs(g0, min(g0+gBlock, a.groups), func(g, gb, pairs int) {
				setGroups(&wk.it, a, g, gb, pairs, wk.out)
				for r := 0; r < nr; r += 2 {
					rb := min(r+1, nr-1) // an odd last row is computed twice
					wk.it.pf, wk.it.pfEnd = 0, 0
					if ahead := r0 + prefetchAhead*chunkRows + r; g == 0 { // asked for once
						if i8Prefetch {
							wk.it.pf, wk.it.pfEnd = aheadRange(w, ahead, 2)
						} else if prefetch != nil && ahead+2 <= w.Rows {
							prefetch(w.Data[ahead*w.rowBytes : (ahead+2)*w.rowBytes])
						}
					}
					pan.setRows(&wk.it, r, rb)
					tileI8(&wk.it)
					for p := range pairs {
						scatterRows(y, w.Rows, a.n, r0+r, rb-r+1, g+2*p, min(g+2*p+1, gb+2*p), wk.out[p*4*lanes:])
					}
				}
			})
		}
	}
}

// prefetchAhead is how many chunks ahead the products prefetch (the float
// tiles through aheadRange, inside their loops; an integer product two
// rows per row pair of the current chunk), so that the next chunk's reads
// overlap this one's products instead of waiting at its unpack.
// Chunks are dealt round-robin (job), so with two workers the chunk two
// ahead is this worker's next one (one ahead, the other worker's, measured
// slower). For the integer products at 64 tokens on 2 cores: Q8_0 +2%,
// Q4_K_M +1–2%, Q4_0 +0–2%.
const prefetchAhead = 2

// eachPairs cuts the activation groups [g0, g1) into calls of fn(g, gb,
// pairs): full pairs (g, g+1), (g+2, g+3), … in one call, then an odd last
// group paired with itself (gb = g, pairs = 1).
func eachPairs(g0, g1 int, fn func(g, gb, pairs int)) {
	for g := g0; g < g1; {
		pairs, gb := (g1-g)/2, g+1
		if pairs == 0 {
			pairs, gb = 1, g
		}
		fn(g, gb, pairs)
		g += 2 * pairs
	}
}

// planF is planQ for float weights. Rows are unpacked to float32 in
// chunks; the wide tile (tileF32W, when the build has one) computes
// fWideRows rows at a time, else the 2-row tile. Both compute every output
// with the same operations (tileF32Generic), so the choice never changes y.
// F32 always fuses (k.fused); where the dispatched tiles cannot (noasm,
// x86 without FMA, arm64 without FEAT_DotProd) their Go twins do it with
// fma32.
func planF(y []float32, w Matrix, k weightKind, a *Activations) (int, func(wk *worker, item int)) {
	cols := w.Cols
	narrowTile, wideTile := tileF32, tileF32W
	if k.fused && !useFMA {
		narrowTile = tileF32Generic
		if wideTile != nil {
			wideTile = tileF32WGeneric
		}
	}
	wide := wideTile != nil
	chunk, block, tr := itemRows(w), actBlockBytes, 2
	if wide {
		block, tr = fWideBlockBytes, fWideRows
	}
	gBlock := max(2, block/(cols*lanes*4)) &^ 1 // group pairs per sweep
	items := (w.Rows + chunk - 1) / chunk
	return items, func(wk *worker, item int) {
		r0 := item * chunk
		nr := min(chunk, w.Rows-r0)
		pan := &wk.pan
		pan.unpackFloat(w, k, r0, nr, chunk, tr)
		fma := k.fused || useFMA && k.fuse != nil && k.fuse(pan.fr, a.fr)
		wk.fw.fma, wk.ft.fma = fma, fma
		wk.out = grow(wk.out, (gBlock/2)*tr*2*lanes)
		for g0 := 0; g0 < a.groups; g0 += gBlock {
			g1 := min(g0+gBlock, a.groups)
			for r := 0; r < nr; r += tr {
				if wide { // rows past nr are stale panel rows: computed, never stored
					t := &wk.fw
					t.w, t.cols = pan.f[r*cols:(r+fWideRows)*cols], cols
					t.pf, t.pfEnd = 0, 0
					if g0 == 0 {
						t.pf, t.pfEnd = aheadRange(w, r0+r+prefetchAhead*chunk, fWideRows)
					}
					eachPairs(g0, g1, func(g, gb, pairs int) {
						t.x, t.dx = a.f[g*cols*lanes:], (gb-g)*cols*lanes*4
						t.pairs, t.xstride, t.out = pairs, 2*cols*lanes*4, wk.out[:pairs*fWideRows*2*lanes]
						wideTile(t)
						t.pf = t.pfEnd // asked for once
						for p := range pairs {
							storeWide(y, w.Rows, a.n, r0+r, min(fWideRows, nr-r), fWideRows, g+2*p, min(g+2*p+1, gb+2*p), t.out[p*fWideRows*2*lanes:])
						}
					})
					continue
				}
				rb := min(r+1, nr-1) // an odd last row is computed twice
				wk.ft.w[0], wk.ft.w[1] = pan.f[r*cols:(r+1)*cols], pan.f[rb*cols:(rb+1)*cols]
				wk.ft.pf, wk.ft.pfEnd = 0, 0
				if g0 == 0 {
					wk.ft.pf, wk.ft.pfEnd = aheadRange(w, r0+r+prefetchAhead*chunk, 2)
				}
				eachPairs(g0, g1, func(g, gb, pairs int) {
					setFloatGroups(&wk.ft, a, g, gb, pairs, wk.out)
					narrowTile(&wk.ft)
					wk.ft.pf = wk.ft.pfEnd // asked for once
					for p := range pairs {
						scatterRows(y, w.Rows, a.n, r0+r, rb-r+1, g+2*p, min(g+2*p+1, gb+2*p), wk.out[p*4*lanes:])
					}
				})
			}
		}
	}
}

// itemRows is how many rows of w one work item of its products computes
// (planQ, planF).
func itemRows(w Matrix) int {
	if k, ok := weightKinds[w.Type]; ok && k.epi == epiFloat && tileF32W != nil {
		return fWideChunk
	}
	return chunkRows
}

// aheadRange returns the bytes of weight rows [r, r+n) of w, clipped to
// the matrix, as a float tile's prefetch range (empty past the end, or
// where the tiles take none). A float tile asks for the rows two chunks
// ahead of its own, the ones its worker most likely takes next (as
// prefetchAhead for the integer products), one line every other step
// pair inside its loop. The tiles stream their rows from memory at the pace of their
// products; F32 rows are read in place, and at 64 tokens their first
// reads, one tile after another, left the core waiting while two threads
// could read 24 GB/s and read 9. Asked for inside the loop, the next rows
// arrive while this tile computes (a burst of prefetches before the tile
// fills the line buffers and was measured slower). F16/BF16 rows go
// through the panel unpack, which then finds them in cache.
func aheadRange(w Matrix, r, n int) (uintptr, uintptr) {
	if !tilePrefetch || r >= w.Rows {
		return 0, 0
	}
	b := w.Data[r*w.rowBytes : min(r+n, w.Rows)*w.rowBytes]
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p, p + uintptr(len(b))
}

// scatterRows writes an nr-row × 2-group output tile (out[row][16], rows
// past nr ignored) into y ([n][rows]) at rows r0…: a transpose, one
// masked scatter per row where the build has one (scatter16), else the Go
// loop scatterRowsGeneric. gb = ga pairs an odd last group with itself.
func scatterRows(y []float32, rows, n, r0, nr, ga, gb int, out []float32) {
	if scatter16 == nil || nr <= 0 || !scatterFits(rows) {
		scatterRowsGeneric(y, rows, n, r0, nr, ga, gb, out)
		return
	}
	mask, valid := pairMask(n, ga, gb)
	if valid <= 0 {
		return
	}
	_ = out[(nr-1)*2*lanes+2*lanes-1]
	_ = y[(ga*lanes+valid-1)*rows+r0+nr-1] // the largest index written, when gb = ga + 1
	if nr == 2 && scatter2 != nil {
		scatter2(&y[ga*lanes*rows+r0], &out[0], rows, gb-ga, mask)
		return
	}
	scatter16(&y[ga*lanes*rows+r0], &out[0], nr, rows, gb-ga, mask)
}

// pairMask returns which of a group pair's 16 vectors the SIMD stores
// write (bit l: vector ga·lanes + l, or of gb for l ≥ lanes) and how many
// of them lie inside the batch of n. gb = ga pairs an odd last group with
// itself: its second copy is the one written, as the Go loop leaves it.
func pairMask(n, ga, gb int) (mask uint16, valid int) {
	valid = min(2*lanes, n-ga*lanes)
	if gb == ga {
		valid = min(valid, lanes)
	}
	if valid <= 0 {
		return 0, valid
	}
	mask = uint16(1)<<valid - 1
	if gb == ga {
		mask <<= lanes
	}
	return mask, valid
}

// storeWide is scatterRows for a wide tile's output (out holds tr rows:
// fWideRows for the float tile, chunkRows for the matrix integer tile):
// with AVX-512 a register transpose and one masked store per vector
// (transpose16) instead of a scatter per row (the stores' share of a
// 64-token F32 pass 4.3% → 1.7%; of a verification on the integer matrix
// tile 4.6% → 2.2%).
func storeWide(y []float32, rows, n, r0, nr, tr, ga, gb int, out []float32) {
	if transpose16 == nil || nr <= 0 || !scatterFits(rows) {
		scatterRows(y, rows, n, r0, nr, ga, gb, out)
		return
	}
	mask, valid := pairMask(n, ga, gb)
	if valid <= 0 {
		return
	}
	_ = out[tr*2*lanes-1]
	_ = y[(ga*lanes+valid-1)*rows+r0+nr-1] // the largest index written, when gb = ga + 1
	transpose16(&y[ga*lanes*rows+r0], &out[0], min(nr, tr), rows, gb-ga, mask)
}

// scatterFits reports whether the scatter kernel's int32 element offsets
// (up to (2·lanes − 1)·rows) hold for a matrix of rows rows; a file can
// declare more (NewMatrix allows 2^40), and those take the Go loop.
func scatterFits(rows int) bool { return rows <= math.MaxInt32/(2*lanes) }

// scatterRowsGeneric is scatterRows in Go.
func scatterRowsGeneric(y []float32, rows, n, r0, nr, ga, gb int, out []float32) {
	for gi, g := range [2]int{ga, gb} {
		for l := range lanes {
			v := g*lanes + l
			if v >= n {
				break
			}
			yv := y[v*rows+r0 : v*rows+r0+nr]
			for r := range yv {
				yv[r] = out[r*2*lanes+gi*lanes+l]
			}
		}
	}
}

// panel holds up to chunkRows unpacked weight rows (see unpack.go).
type panel struct {
	cols, nsb, ngs int
	q              []byte    // [chunkRows][cols], int8 codes
	qa             []byte    // [chunkRows][cols], |codes| as uint8 (Q8_0 only)
	sc             []uint32  // [chunkRows][ngs]
	mins           []uint32  // [chunkRows][nsb·8]
	ab             []float32 // [chunkRows][nsb·2]
	f              []float32 // [chunkRows][cols], float kinds: own or a view of the weights (F32)
	own            []float32 // the buffer f uses when it is not a view
	fr             magRange  // of the rows in f (F16, BF16)
	scW            []int32   // sc, mins, ab in the matrix tile's order (wideTables)
	minsW          []uint32
	abW            []float32
}

func (p *panel) unpack(w Matrix, k weightKind, r0, nr int) {
	cols := w.Cols
	p.cols = cols
	p.nsb, p.ngs = cols/k.sb, cols/k.gs
	p.q = grow(p.q, chunkRows*cols)
	p.sc = grow(p.sc, chunkRows*p.ngs)
	p.mins = grow(p.mins, chunkRows*p.nsb*8)
	p.ab = grow(p.ab, chunkRows*p.nsb*2)
	// The panel's rows are asked for at once before the unpack reads them
	// block by block: at 64 tokens a panel is used briefly and its first
	// reads waited on memory one after another (Q4_0 +2–3%, Q8_0 +2–3%,
	// Q4_K_M +1–2%). The float tiles are slower with it (F16 −3%, F32 −4%:
	// they stream their rows at the pace of the products), so they go
	// without.
	if prefetch != nil {
		prefetch(w.Data[r0*w.rowBytes : (r0+nr)*w.rowBytes])
	}
	for i := range nr {
		k.unpack(w.Row(r0+i), p.q[i*cols:(i+1)*cols], p.sc[i*p.ngs:(i+1)*p.ngs],
			p.mins[i*p.nsb*8:(i+1)*p.nsb*8], p.ab[i*p.nsb*2:(i+1)*p.nsb*2])
	}
	if k.spm == 1 { // signed codes: precompute |q| for the sign trick
		p.qa = grow(p.qa, chunkRows*cols)
		absBytes(p.qa[:nr*cols], p.q[:nr*cols])
	}
}

// unpackFloat converts rows r0…r0+nr−1 of a float matrix into p.f, which
// holds `chunk` rows (the rows past nr keep stale values), and sets p.fr.
// F32 rows need no conversion: when the rows the tiles read (nr rounded up
// to tr, the tile's rows) lie inside the matrix and are 4-byte aligned,
// p.f is a view of the weights themselves, which saves a copy that costs a
// third of a short prompt's time. The tiles only read p.f, and the view is
// never written: p.own keeps the buffer for the next conversion.
func (p *panel) unpackFloat(w Matrix, k weightKind, r0, nr, chunk, tr int) {
	cols := w.Cols
	p.cols = cols
	p.fr = noRange
	if f := viewF32(w, r0, (nr+tr-1)/tr*tr); f != nil {
		p.f = f
		return
	}
	p.own = grow(p.own, chunk*cols)
	p.f = p.own
	for i := range nr {
		p.fr = p.fr.join(k.unpackF(w.Row(r0+i), p.f[i*cols:(i+1)*cols]))
	}
}

// viewF32 returns rows r0…r0+n−1 of an F32 matrix as float32 in place, or
// nil when they cannot be read that way (another type, rows past the end,
// a big-endian host, or data not aligned to 4 bytes: a GGUF file aligns
// tensors to 32 bytes, a test slice may not).
func viewF32(w Matrix, r0, n int) []float32 {
	if w.Type != quant.F32 || !littleEndian || r0+n > w.Rows {
		return nil
	}
	b := w.Data[r0*w.rowBytes : (r0+n)*w.rowBytes]
	if uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n*w.Cols)
}

// i8Tile is one call of the integer micro-kernel: rows ra, rb of the panel
// times `pairs` consecutive pairs of activation groups, the first pair being
// y[0], y[1] (the same group twice for an odd last group). Slices start at
// the first pair and run to the end of the activations; pair p's data is at
// p·ystride (bytes of y), p·dstride (bytes of d and s), p·bstride (bytes of
// bs), and its outputs at out[32p:32p+32] as [2 rows][16 vectors].
type i8Tile struct {
	q       [2][]byte    // [cols] int8 codes per row
	sc      [2][]uint32  // [cols/gs] group scales per row
	mins    [2][]uint32  // [nsb·8] per row (epiMins)
	ab      [2][]float32 // [nsb·2] per row
	y       [2][]byte    // [cols·lanes] int8 codes per group
	d       [2][]float32 // [nsb·lanes] per group
	s       [2][]float32 // [nsb·lanes] per group (epiLegacy)
	bs      [2][]uint32  // [nsb·8·lanes] per group (epiMins)
	out     []float32    // [pairs][2][2·lanes]
	nsb     int          // superblocks per row
	gpb     int          // scale groups per superblock
	gs      int          // elements per scale group
	spm     int          // 4-element steps per int16 partial sum
	epi     int
	cpg     int // int16 partial sums per group: gs/(4·spm)
	pairs   int
	ystride int        // bytes
	dstride int        // bytes
	bstride int        // bytes
	sy      [2][]int32 // [nsb·lanes] per group: Σ codes per block (epiOff0)
	off     int        // epiOff0: code offset
	qa      []byte     // spm = 1 (Q8_0): |codes| of row ra, at the same row stride as q
	// [pf, pfEnd) is memory the tile asks for, one 64-byte line per block
	// or scale group, while it computes (i8Prefetch); only a hint.
	pf, pfEnd uintptr
}

// setKind sets t's fields that depend on the weight kind and the row
// length only, once per chunk (setRows sets the rows).
func (p *panel) setKind(t *i8Tile, k weightKind) {
	t.nsb, t.gpb, t.gs, t.spm, t.epi, t.cpg = p.nsb, k.sb/k.gs, k.gs, k.spm, k.epi, k.gs/(4*k.spm)
	t.off, t.qa = k.off, nil
}

// setRows points t at rows ra, rb of the panel (after setKind).
func (p *panel) setRows(t *i8Tile, ra, rb int) {
	cols, nsb, ngs := p.cols, p.nsb, p.ngs
	if t.spm == 1 {
		t.qa = p.qa[ra*cols : (ra+1)*cols]
	}
	for i, r := range [2]int{ra, rb} {
		t.q[i] = p.q[r*cols : (r+1)*cols]
		t.sc[i] = p.sc[r*ngs : (r+1)*ngs]
		t.mins[i] = p.mins[r*nsb*8 : (r+1)*nsb*8]
		t.ab[i] = p.ab[r*nsb*2 : (r+1)*nsb*2]
	}
}

// setGroups points t at `pairs` group pairs starting with (ga, gb).
func setGroups(t *i8Tile, a *Activations, ga, gb, pairs int, out []float32) {
	cols, nsb := a.cols, a.nblk
	t.pairs, t.out = pairs, out[:pairs*4*lanes]
	t.ystride, t.dstride, t.bstride = 2*cols*lanes, 2*nsb*lanes*4, 2*nsb*8*lanes*4
	for i, g := range [2]int{ga, gb} {
		t.y[i] = a.q[g*cols*lanes:]
		t.d[i] = a.d[g*nsb*lanes:]
		if a.vt == quant.Q8_1 {
			t.s[i] = a.s[g*nsb*lanes:]
		}
		if a.vt == quant.Q8_K {
			t.bs[i] = a.bs[g*nsb*8*lanes:]
		}
		if a.vt == quant.Q8_0 {
			t.sy[i] = a.sy[g*nsb*lanes:]
		}
	}
}

// fTile is one call of the float micro-kernel: rows w[0], w[1] times
// `pairs` group pairs; pair p's activations are at x[i][p·xstride/4:], its
// outputs at out[32p:32p+32].
type fTile struct {
	w       [2][]float32 // [cols] per row
	x       [2][]float32 // [cols·lanes] per group, from the first pair on
	out     []float32    // [pairs][2][2·lanes]
	pairs   int
	xstride int  // bytes
	fma     bool // fuse multiply and add (F32 always; F16/BF16 where products are exact)
	// [pf, pfEnd) is memory the tile asks for, one 64-byte line per eight
	// elements of its rows, while it computes (aheadRange); only a hint.
	pf, pfEnd uintptr
}

func setFloatGroups(t *fTile, a *Activations, ga, gb, pairs int, out []float32) {
	cols := a.cols
	t.pairs, t.out, t.xstride = pairs, out[:pairs*4*lanes], 2*cols*lanes*4
	t.x[0], t.x[1] = a.f[ga*cols*lanes:], a.f[gb*cols*lanes:]
}

// fTileW is one call of the wide float micro-kernel: fWideRows consecutive
// panel rows (w, row-major, cols each) times `pairs` group pairs. Pair p's
// first group is at x[p·xstride/4:], its second dx bytes further (dx = 0
// pairs an odd last group with itself); its outputs go to
// out[p·fWideRows·16:] as [fWideRows rows][16 vectors].
type fTileW struct {
	w       []float32
	x       []float32
	out     []float32
	cols    int
	pairs   int
	xstride int  // bytes
	dx      int  // bytes
	fma     bool // fuse multiply and add (F32 always; F16/BF16 where products are exact)
	// [pf, pfEnd) is memory the tile asks for, one 64-byte line per four
	// elements of its rows, while it computes (aheadRange); pf = pfEnd
	// asks for nothing. Only a hint: the Go twin ignores it.
	pf, pfEnd uintptr
}
