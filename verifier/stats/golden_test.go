package stats

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-bits.json")

// goldenCase is one stream whose every floating-point result is pinned.
type goldenCase struct {
	Alpha float64 `json:"alpha"`
	N     int     `json:"n"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// SHA256 covers, per step, the bits of the bet λ̃, Lower and Upper, and
	// at the end every active capital (mantissa bits and exponent).
	SHA256 string `json:"sha256"`
}

// goldenScores is an integer recipe (no RNG, no libm) for a stream that moves
// both bounds: x_i = ((i·7919) mod 1009)/1009 on every fourth step, else a
// small value ((i·31) mod 97)/970.
func goldenScores(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		if i%4 == 3 {
			xs[i] = float64((i*7919)%1009) / 1009
		} else {
			xs[i] = float64((i*31)%97) / 970
		}
	}
	return xs
}

func goldenRun(alpha float64, n int) goldenCase {
	h := sha256.New()
	put := func(x float64) { _ = binary.Write(h, binary.LittleEndian, math.Float64bits(x)) }
	s := NewSequence(alpha)
	for _, x := range goldenScores(n) {
		_ = s.Update(x)
		put(s.lams[s.n-1])
		put(s.Lower())
		put(s.Upper())
	}
	catchUpAll(s)
	for j := s.lo + 1; j < s.hi; j++ {
		put(s.kp[j])
		put(s.kn[j])
		_ = binary.Write(h, binary.LittleEndian, [2]int32{s.ep[j], s.en[j]})
	}
	return goldenCase{Alpha: alpha, N: n, Lower: s.Lower(), Upper: s.Upper(), SHA256: hex.EncodeToString(h.Sum(nil))}
}

// TestGoldenBits pins every bet, bound and capital of three streams to the
// bits recorded in testdata/golden-bits.json. The file was written on
// linux/amd64 by this code (-update); the same test passing on arm64 (run
// under qemu-aarch64, or on a Mac) is the evidence that certificates replay
// bit for bit across architectures.
func TestGoldenBits(t *testing.T) {
	path := filepath.Join("testdata", "golden-bits.json")
	var got []goldenCase
	for _, a := range []float64{0.05, 0.01, 0.001} {
		got = append(got, goldenRun(a, 300))
	}
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenCase
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s has %d cases, want %d", path, len(want), len(got))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("case %d: got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
