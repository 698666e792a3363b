// Package stats turns a stream of per-challenge scores X_i ∈ [0, 1] into an
// anytime-valid verdict about their mean μ = E[X]: SAME (μ < γ), DIFFERENT
// (μ > δ), UNDECIDED (budget n_max spent), or Continue.
//
// # Method
//
// The confidence sequence is the hedged-capital betting CS of Waudby-Smith and
// Ramdas, "Estimating means of bounded random variables by betting", JRSS-B
// 86(1):1–27, 2024 (arXiv:2010.09686), Section 4, Theorem 3, with the
// predictable plug-in bets λ^PrPl± of that section (see bet in sequence.go)
// and truncation constant c = 3/4, hedge weight θ = 1/2. For each candidate
// mean m two capital processes are kept,
//
//	K⁺_t(m) = ∏_{i≤t} (1 + λ⁺_i(m)·(X_i − m)),  λ⁺_i(m) = min(λ̃_i, c/m),
//	K⁻_t(m) = ∏_{i≤t} (1 − λ⁻_i(m)·(X_i − m)),  λ⁻_i(m) = min(λ̃_i, c/(1−m)),
//
// and m leaves the sequence once max(θK⁺, (1−θ)K⁻) ≥ 1/α. If m = μ both are
// nonnegative martingales with mean 1, so by Ville's inequality the chance
// that μ is ever excluded is at most α, at every stopping time, however the
// stream is paused, resumed or stopped.
//
// Each factor of K⁺ is positive and non-increasing in m (and each factor of K⁻
// non-decreasing), so the set excluded by K⁺ is a prefix [0, a] of the
// candidate means and the set excluded by K⁻ a suffix [b, 1]: C_t is exactly an
// interval. The capitals are tracked on a grid of GridSize+1 points m_j =
// j/GridSize; Lower is the largest grid point excluded from below (every
// m ≤ Lower is then excluded too, by monotonicity) and Upper the smallest
// excluded from above, so (Lower, Upper) contains the running intersection
// ∩_{s≤t} C_s and is valid without any assumption on grid resolution: the grid
// costs at most 1/GridSize of width.
//
// # Cost
//
// By monotonicity only the two boundary points, lo+1 and hi−1, decide
// whether the interval shrinks, so capitals are evaluated lazily: a grid point
// is brought up to date (its missing factors multiplied in, in order) only
// when it becomes a boundary point, and every point is excluded at most once.
// An Update therefore costs O(1) plus O(n) for each grid point the bound moves
// past: about 1 µs at n = 300 (BenchmarkUpdate), against ~width·GridSize
// multiply-adds for an eager grid, and the 18,200-stream coverage test
// needs about 4 s of CPU. The result is bit-identical to the eager update,
// because each point's product is formed from the same factors in the same
// order.
//
// The capital is held as a float64 product with a separate binary exponent
// (underflow-safe) rather than as a sum of logarithms: that avoids libm in the
// inner loop, which is both cheaper and reproducible bit for bit.
//
// # Determinism across machines
//
// Certificates are re-checked by third parties on other architectures
// (arm64 Macs). Every formula here uses only +, −, ×, ÷, math.Sqrt (correctly
// rounded by IEEE 754 on every platform) and detLog, a logarithm written with
// those operations. math.Log, Log1p and Exp are not used: their last bit
// may differ between amd64 (assembly) and arm64 (pure Go, possibly fused).
// Every product that feeds an addition is wrapped in an explicit float64()
// conversion, which the Go spec says rounds and so forbids fusing into an
// FMA. Bounds are therefore expected to be bit-identical everywhere;
// Tolerance is the margin a verifier should still allow when comparing
// recorded and recomputed bounds, while the verdict is compared exactly (it is
// a function of grid indices, see Decide).
//
// # Scope and security stance
//
// Left out: sampling without replacement, other betting strategies, and
// empirical-Bernstein closed forms. The inputs are scores, not hostile files,
// but state restored with UnmarshalJSON is treated as untrusted: it is
// validated and recomputed from the recorded scores, never trusted as numbers,
// and malformed state gives an error, never a panic.
package stats
