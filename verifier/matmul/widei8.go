package matmul

// The matrix integer tile. On CPUs with a tile matrix unit (AMX-INT8) one
// instruction multiplies all chunkRows rows of a panel by a pair of
// activation groups over one scale group (16×16 int32 sums of up to 32
// products each), 8–16 times the work of a vpdpbusd; the rest of
// tileI8Generic's arithmetic (scales, epilogue) then runs on vectors of
// the 16 outputs of a row, one register per row. The per-row scale tables
// are turned around for it (group-major: the 16 rows' values of one group
// side by side), so that each row's value is a constant offset from one
// pointer.

// i8TileW is one call of the matrix integer tile: the chunkRows rows of the
// panel times `pairs` group pairs. The codes of a pair are interleaved
// (Activations.pairCodes: per 4-element step the 8 vectors of its first
// group, then the 8 of its second), so that one tile row holds the step
// for all 16 vectors; pair p's codes lie at y[p·ystride:], its other data
// at i8Tile's offsets (dstride, bstride) from d, s, bs, sy; its outputs at
// out[p·chunkRows·16:] as [chunkRows rows][16 vectors].
type i8TileW struct {
	q    []byte       // [chunkRows][cols] codes: the panel's, row stride cols
	sc   []int32      // [cols/gs][chunkRows] group scales
	mins []uint32     // [nsb][8][chunkRows] min pairs (epiMins, epiOffK)
	ab   []float32    // [nsb][2][chunkRows]
	y    []byte       // [pairs][cols/4][16][4] pair-interleaved codes
	d    [2][]float32 // as i8Tile
	s    [2][]float32 // as i8Tile (epiLegacy)
	bs   [2][]uint32  // as i8Tile (epiMins, epiOffK)
	sy   [2][]int32   // as i8Tile (epiOff0)
	out  []float32    // [pairs][chunkRows][2·lanes]
	c    []int32      // [2][chunkRows][2·lanes] scratch: two scale groups' sums
	cfg  *[64]byte    // the matrix unit's tile shapes for gs
	cols int
	nsb  int
	gpb  int
	gs   int
	epi  int
	off  int
	// pairs, ystride (bytes of y per pair), dstride, bstride: as i8Tile
	pairs   int
	ystride int
	dstride int
	bstride int
	ystep   int // bytes of y per scale group: gs·2·lanes
	ngs     int // scale groups per row: cols/gs
}

// wideTables writes the panel's scales, superblock factors and (where the
// kind has them) mins in i8TileW's group-major order; rows past nr are
// zero, so that the tile's extra rows compute from defined values (their
// outputs are never stored).
func (p *panel) wideTables(k weightKind, nr int) {
	p.abW = turn(p.abW, p.ab, p.nsb*2, nr)
	if oneGroup(k) { // scale 1 throughout: no table
		return
	}
	p.scW = grow(p.scW, p.ngs*chunkRows)
	if nr < chunkRows {
		clear(p.scW)
	}
	for r := range nr {
		for j, v := range p.sc[r*p.ngs : (r+1)*p.ngs] {
			p.scW[j*chunkRows+r] = int32(int16(v)) // the low half of pair(s)
		}
	}
	if k.epi == epiMins || k.epi == epiOffK {
		p.minsW = turn(p.minsW, p.mins, p.nsb*8, nr)
	}
}

// turn returns dst (grown) holding rows r < nr of src ([nr][cols]) as
// [cols][chunkRows], zero for the rows past nr.
func turn[T any](dst, src []T, cols, nr int) []T {
	dst = grow(dst, cols*chunkRows)
	if nr < chunkRows {
		clear(dst)
	}
	for r := range nr {
		for j, v := range src[r*cols : (r+1)*cols] {
			dst[j*chunkRows+r] = v
		}
	}
	return dst
}

// oneGroup reports whether k's blocks are one scale group each, of scale 1
// (the 32-element kinds: legacyScales), which the matrix tile's
// one-group loop assumes (tileI8AMX1) and its twin with it.
func oneGroup(k weightKind) bool {
	return k.gs == k.sb && k.epi != epiMins && k.epi != epiOffK
}

// setWide points t at the panel for kind k (after unpack and wideTables).
func (p *panel) setWide(t *i8TileW, k weightKind, c []int32) {
	t.q = p.q[:chunkRows*p.cols]
	t.sc, t.mins, t.ab, t.c = p.scW, p.minsW, p.abW, c
	t.cols, t.nsb, t.gpb, t.gs, t.epi, t.off = p.cols, p.nsb, k.sb/k.gs, k.gs, k.epi, k.off
	t.ystep, t.ngs = k.gs*2*lanes, p.ngs
	t.cfg = amxConfig(k.gs)
}

// setGroupsW is setGroups for the matrix tile; ga is even (pairs start at
// even groups, an odd last group being paired with itself).
func setGroupsW(t *i8TileW, a *Activations, ga, gb, pairs int, out []float32) {
	var n i8Tile
	setGroups(&n, a, ga, gb, pairs, out)
	t.d, t.s, t.bs, t.sy = n.d, n.s, n.bs, n.sy
	t.y = a.qp[ga/2*a.cols*2*lanes:] // made by planQ (pairCodes)
	t.pairs, t.ystride, t.dstride, t.bstride = pairs, a.cols*2*lanes, n.dstride, n.bstride
	t.out = out[:pairs*chunkRows*2*lanes]
}

// amxShapes holds the tile configurations (LDTILECFG's 64-byte operand,
// palette 1) for the two scale group sizes. Two sets of three tiles let one
// scale group's product run while the previous one's sums are scaled: tmm0
// and tmm3 the weights (16 rows of gs codes), tmm1 and tmm4 a pair's codes
// (gs/4 rows of 16 vectors × 4 codes), tmm2 and tmm5 their 16×16 int32
// sums.
var amxShapes = func() (s [2][64]byte) {
	for i, gs := range [2]int{16, 32} {
		c := &s[i]
		c[0] = 1 // palette
		shape := func(tmm, rows, colBytes int) {
			c[16+2*tmm], c[48+tmm] = byte(colBytes), byte(rows)
		}
		for _, set := range [2]int{0, 3} {
			shape(set, chunkRows, gs)
			shape(set+1, gs/4, 8*lanes)
			shape(set+2, chunkRows, 8*lanes)
		}
	}
	return s
}()

func amxConfig(gs int) *[64]byte {
	if gs == 16 {
		return &amxShapes[0]
	}
	return &amxShapes[1]
}

// tileI8WGeneric is the matrix tile's twin: each of its rows computed by
// tileI8Pair from the group-major tables and the pair's codes, read back
// into one row's and two groups' layouts. This is the definition the AMX
// kernel is tested against (through TestAsmLikeGeneric, whose reference
// is the 2-row tile) and what the tables' order means.
func tileI8WGeneric(t *i8TileW) {
	sc, mins, ab := make([]uint32, t.ngs), make([]uint32, t.nsb*8), make([]float32, t.nsb*2)
	ya, yb := make([]byte, t.cols*lanes), make([]byte, t.cols*lanes)
	out := make([]float32, 4*lanes)
	n := i8Tile{
		sc: [2][]uint32{sc, sc}, mins: [2][]uint32{mins, mins}, ab: [2][]float32{ab, ab},
		y: [2][]byte{ya, yb}, out: out, nsb: t.nsb, gpb: t.gpb, gs: t.gs, epi: t.epi, off: t.off, pairs: 1,
	}
	for p := range t.pairs {
		y := t.y[p*t.ystride:]
		for k := range t.cols / 4 {
			copy(ya[k*4*lanes:(k+1)*4*lanes], y[k*8*lanes:])
			copy(yb[k*4*lanes:(k+1)*4*lanes], y[k*8*lanes+4*lanes:])
		}
		do, bo := p*t.dstride/4, p*t.bstride/4
		for i := range 2 {
			n.d[i] = t.d[i][do:]
			if t.s[i] != nil {
				n.s[i] = t.s[i][do:]
			}
			if t.sy[i] != nil {
				n.sy[i] = t.sy[i][do:]
			}
			if t.bs[i] != nil {
				n.bs[i] = t.bs[i][bo:]
			}
		}
		for r := range chunkRows {
			q := t.q[r*t.cols : (r+1)*t.cols]
			n.q = [2][]byte{q, q}
			for g := range sc {
				sc[g] = pair(1)
				if t.gpb > 1 {
					sc[g] = pair(t.sc[g*chunkRows+r])
				}
			}
			if t.epi == epiMins || t.epi == epiOffK {
				for j := range mins {
					mins[j] = t.mins[j*chunkRows+r]
				}
			}
			for j := range ab {
				ab[j] = t.ab[j*chunkRows+r]
			}
			tileI8Pair(&n, 0)
			copy(t.out[(p*chunkRows+r)*2*lanes:(p*chunkRows+r+1)*2*lanes], out[:2*lanes])
		}
	}
}
