package matmul

// useGeneric switches every kernel to its pure-Go twin (on) or back to the
// build's default dispatch, and returns a function restoring the previous
// state. Tests and benchmarks only; not safe while kernels run.
func useGeneric(on bool) (restore func()) {
	i8, f, d, a, am, qs := tileI8, tileF32, dot16, axpy8, absMax, quantScale
	if on {
		tileI8, tileF32, dot16, axpy8 = tileI8Generic, tileF32Generic, dot16Generic, axpy8Generic
		absMax, quantScale = absMaxGeneric, quantScaleGeneric
	} else {
		tileI8, tileF32 = defaultTileI8, defaultTileF32
	}
	return func() { tileI8, tileF32, dot16, axpy8, absMax, quantScale = i8, f, d, a, am, qs }
}
