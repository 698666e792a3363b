package matmul

// useGeneric switches every kernel to its pure-Go twin (on) or back to the
// build's default dispatch, and returns a function restoring the previous
// state. Tests and benchmarks only; not safe while kernels run.
func useGeneric(on bool) (restore func()) {
	i8, f, d, a, am, qs, es, sc, nb, c8 := tileI8, tileF32, dot16, axpy8, absMax, quantScale, expSum8, scatter16, nibbles32, codes32
	fw, u16, ub16, ar, il, ls, sm, t12 := tileF32W, unpackF16, unpackBF16, absRange8, interleave8, scales32, siluMulK, transpose16
	s2, iw := scatter2, tileI8W
	if on {
		tileI8W = nil
		tileI8, tileF32, dot16, axpy8, expSum8 = tileI8Generic, tileF32Generic, dot16Generic, axpy8Generic, expSum8Generic
		scatter16, nibbles32, codes32, scales32 = nil, nibblesGeneric, codes8Generic, legacyScalesGeneric
		siluMulK, transpose16, scatter2 = siluRowsGeneric, nil, nil
		absMax, quantScale = absMaxGeneric, quantScaleGeneric
		unpackF16, unpackBF16, absRange8, interleave8 = unpackF16Generic, unpackBF16Generic, nil, nil
		if tileF32W != nil {
			tileF32W = tileF32WGeneric
		}
	} else {
		tileI8, tileF32, tileF32W, tileI8W = defaultTileI8, defaultTileF32, defaultTileF32W, defaultTileI8W
	}
	return func() {
		tileI8, tileF32, dot16, axpy8, absMax, quantScale, expSum8, scatter16, nibbles32, codes32 = i8, f, d, a, am, qs, es, sc, nb, c8
		tileF32W, unpackF16, unpackBF16, absRange8, interleave8, scales32 = fw, u16, ub16, ar, il, ls
		siluMulK, transpose16, scatter2, tileI8W = sm, t12, s2, iw
	}
}
