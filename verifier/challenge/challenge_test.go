package challenge

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

// testSeed is 0x00, 0x01, …, 0x1f.
func testSeed() []byte {
	s := make([]byte, SeedSize)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

func newTestSource(t testing.TB, seed []byte, cfg Config) *Source {
	t.Helper()
	s, err := NewSource(seed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCommitIndependent(t *testing.T) {
	seed := testSeed()
	// Recomputed here from the documented definition, not from commitTag.
	want := sha256.Sum256(append([]byte("pot/challenge/v1/commit\x00"), seed...))
	if got := Commit(seed); got != want {
		t.Errorf("Commit = %x, want sha256(tag‖seed) = %x", got, want)
	}
	if Commit(seed) == sha256.Sum256(seed) {
		t.Error("commitment equals the untagged hash")
	}
	other := testSeed()
	other[31] ^= 1
	if Commit(other) == Commit(seed) {
		t.Error("different seeds give the same commitment")
	}
}

func TestNewSourceErrors(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewSource(make([]byte, n), Config{}); !errors.Is(err, ErrSeed) {
			t.Errorf("seed of %d bytes: err = %v, want ErrSeed", n, err)
		}
	}
	if _, err := NewSource(testSeed(), Config{ExtraWords: maxExtraWords + 1}); err == nil {
		t.Error("ExtraWords above the cap: no error")
	}
	// The seed is copied.
	seed := testSeed()
	s := newTestSource(t, seed, Config{})
	before := s.Challenge(0)
	seed[0] ^= 0xff
	if s.Challenge(0) != before {
		t.Error("changing the caller's seed slice changed the source")
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name      string
		in        Config
		wantCfg   Config
		wantExtra int
	}{
		{"default", Config{}, Config{ExtraWords: DefaultExtraWords}, DefaultExtraWords},
		{"none", Config{ExtraWords: -1}, Config{ExtraWords: -1}, 0},
		{"five", Config{ExtraWords: 5}, Config{ExtraWords: 5}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSource(t, testSeed(), tc.in)
			if s.Config() != tc.wantCfg {
				t.Errorf("Config() = %+v, want %+v", s.Config(), tc.wantCfg)
			}
			c := s.Challenge(3)
			_, tail, found := strings.Cut(c.Text, " Use these words: ")
			got := 0
			if found {
				got = len(strings.Split(strings.TrimSuffix(tail, "."), ", "))
			}
			if got != tc.wantExtra {
				t.Errorf("%d extra words in %q, want %d", got, c.Text, tc.wantExtra)
			}
			// Recording the resolved config reproduces the same challenges.
			again := newTestSource(t, testSeed(), s.Config())
			if again.Challenge(3) != c {
				t.Error("source rebuilt from Config() differs")
			}
		})
	}
}

func TestChallengesFilledAndDeterministic(t *testing.T) {
	a := newTestSource(t, testSeed(), Config{})
	b := newTestSource(t, testSeed(), Config{})
	ids := map[string]bool{}
	for _, tp := range mustCorpus().templates {
		ids[tp.id] = true
	}
	for i := uint64(0); i < 2000; i++ {
		c := a.Challenge(i)
		if c != b.Challenge(i) {
			t.Fatalf("challenge %d differs between two sources with one seed", i)
		}
		if c.Index != i || !ids[c.Template] {
			t.Fatalf("challenge %d: index %d template %q", i, c.Index, c.Template)
		}
		if strings.ContainsAny(c.Text, "{}") || len(c.Text) < 40 {
			t.Fatalf("challenge %d not filled: %q", i, c.Text)
		}
	}
	// Order independence: deriving out of order gives the same result.
	if a.Challenge(1999) != b.Challenge(1999) || a.Challenge(5) != newTestSource(t, testSeed(), Config{}).Challenge(5) {
		t.Error("challenge depends on call history")
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	a := newTestSource(t, testSeed(), Config{})
	seed := testSeed()
	seed[0] = 0xff
	b := newTestSource(t, seed, Config{})
	same, sameIdx, samePos := 0, 0, 0
	for i := uint64(0); i < 64; i++ {
		if a.Challenge(i).Text == b.Challenge(i).Text {
			same++
		}
		if a.Index(i, 1<<30) == b.Index(i, 1<<30) {
			sameIdx++
		}
		if slicesEqual(a.Positions(i, 100, 8), b.Positions(i, 100, 8)) {
			samePos++
		}
	}
	if same > 0 || sameIdx > 0 || samePos > 0 {
		t.Errorf("seeds differing in one byte share %d texts, %d indices, %d position sets of 64", same, sameIdx, samePos)
	}
	// Streams are separated by label: index i of "index" ≠ a word of "text".
	if a.Index(0, 1<<30) == int(newStream(a.seed[:], labelText, 0).uint64()%(1<<30)) {
		t.Error("index stream equals text stream")
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestIndexIndependentHMAC rebuilds Index from the documented construction
// with crypto/hmac directly: first word of HMAC(seed, tag‖"index"‖0‖i‖0),
// rejected below 2^64 mod n (never happens for these n at this seed, which
// the test checks), reduced mod n.
func TestIndexIndependentHMAC(t *testing.T) {
	seed := testSeed()
	s := newTestSource(t, seed, Config{})
	for i := uint64(0); i < 200; i++ {
		msg := append([]byte("pot/challenge/v1/index\x00"), make([]byte, 16)...)
		binary.BigEndian.PutUint64(msg[len(msg)-16:], i)
		m := hmac.New(sha256.New, seed)
		m.Write(msg)
		v := binary.BigEndian.Uint64(m.Sum(nil))
		for _, n := range []uint64{1, 7, 1000, 1 << 20} {
			if v < (-n)%n { // 2^64 mod n
				t.Fatalf("first word rejected for n=%d: pick another test seed", n)
			}
			if got := s.Index(i, int(n)); got != int(v%n) {
				t.Fatalf("Index(%d, %d) = %d, independent HMAC gives %d", i, n, got, v%n)
			}
		}
	}
	if s.Index(0, 0) != -1 || s.Index(0, -5) != -1 {
		t.Error("Index with an empty pool should be -1")
	}
}

// fakeStream returns the words in order and counts how many were read.
type fakeStream struct {
	words []uint64
	read  int
}

func (f *fakeStream) next() uint64 { v := f.words[f.read]; f.read++; return v }

func TestUniformRejection(t *testing.T) {
	tests := []struct {
		name  string
		n     uint64
		words []uint64
		want  uint64
		read  int
	}{
		// 2^64 mod 3 = 1: word 0 is rejected.
		{"n=3 rejects 0", 3, []uint64{0, 5}, 2, 2},
		{"n=3 accepts 1", 3, []uint64{1}, 1, 1},
		// n = 2^63+1: 2^64 mod n = 2^63−1, so about half of all words are rejected.
		{"n=2^63+1 rejects low", 1<<63 + 1, []uint64{5, 1<<63 - 2, 1<<63 - 1}, 1<<63 - 1, 3},
		{"n=2^63+1 wraps", 1<<63 + 1, []uint64{math.MaxUint64}, math.MaxUint64 % (1<<63 + 1), 1},
		// Powers of two reject nothing.
		{"n=8 takes 0", 8, []uint64{0}, 0, 1},
		{"n=1", 1, []uint64{12345}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeStream{words: tc.words}
			if got := uniform(f.next, tc.n); got != tc.want || f.read != tc.read {
				t.Errorf("uniform = %d after %d words, want %d after %d", got, f.read, tc.want, tc.read)
			}
		})
	}
	// Exhaustive check on a tiny word size: emulate 4-bit words with the
	// same rule and verify every residue gets equally many accepted words.
	for n := uint64(1); n <= 16; n++ {
		threshold := (16 - n) % n // 2^4 mod n
		counts := make([]int, n)
		for v := uint64(0); v < 16; v++ {
			if v >= threshold {
				counts[v%n]++
			}
		}
		for r, c := range counts {
			if c != counts[0] {
				t.Errorf("4-bit n=%d: residue %d accepted %d times, residue 0 %d", n, r, c, counts[0])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("uniform(0) did not panic")
		}
	}()
	uniform((&fakeStream{words: []uint64{1}}).next, 0)
}

// chiSquare returns Pearson's statistic for counts against a uniform
// expectation.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	e := float64(total) / float64(len(counts))
	x := 0.0
	for _, c := range counts {
		d := float64(c) - e
		x += d * d / e
	}
	return x
}

// chiBound is a loose upper bound for χ² with df degrees of freedom:
// df + 6·sqrt(2·df), six standard deviations (p < 1e-4 for these df).
func chiBound(df int) float64 { return float64(df) + 6*math.Sqrt(2*float64(df)) }

func TestDistributions(t *testing.T) {
	s := newTestSource(t, testSeed(), Config{ExtraWords: -1})
	tpls := mustCorpus().templates
	pos := map[string]int{}
	for i, tp := range tpls {
		pos[tp.id] = i
	}
	const draws = 20000
	tc := make([]int, len(tpls))
	ic := make([]int, 10)
	for i := uint64(0); i < draws; i++ {
		tc[pos[s.Challenge(i).Template]]++
		ic[s.Index(i, 10)]++
	}
	if x := chiSquare(tc); x > chiBound(len(tc)-1) {
		t.Errorf("template choice: χ² = %.1f over %d templates, bound %.1f", x, len(tc), chiBound(len(tc)-1))
	} else {
		t.Logf("template choice: χ² = %.1f (df %d, bound %.1f)", x, len(tc)-1, chiBound(len(tc)-1))
	}
	if x := chiSquare(ic); x > chiBound(9) {
		t.Errorf("Index(·, 10): χ² = %.1f, bound %.1f", x, chiBound(9))
	}
	// Positions: each of the r candidate positions is chosen k/r of the time.
	const nTok, k = 30, 5
	pc := make([]int, nTok-MinPosition)
	for i := uint64(0); i < draws/4; i++ {
		for _, p := range s.Positions(i, nTok, k) {
			pc[p-MinPosition]++
		}
	}
	if x := chiSquare(pc); x > chiBound(len(pc)-1) {
		t.Errorf("positions: χ² = %.1f, bound %.1f", x, chiBound(len(pc)-1))
	}
}

func TestPositions(t *testing.T) {
	s := newTestSource(t, testSeed(), Config{})
	for i := uint64(0); i < 300; i++ {
		for _, c := range []struct{ n, k int }{{64, 8}, {10, 8}, {34, 32}, {200, 1}, {1000, 100}} {
			p := s.Positions(i, c.n, c.k)
			want := min(c.k, c.n-MinPosition)
			if len(p) != want {
				t.Fatalf("Positions(%d, %d, %d) has %d, want %d", i, c.n, c.k, len(p), want)
			}
			for j, v := range p {
				if v < MinPosition || v >= c.n {
					t.Fatalf("Positions(%d, %d, %d)[%d] = %d out of [%d, %d]", i, c.n, c.k, j, v, MinPosition, c.n-1)
				}
				if j > 0 && v <= p[j-1] {
					t.Fatalf("Positions(%d, %d, %d) not strictly increasing: %v", i, c.n, c.k, p)
				}
			}
			if !slicesEqual(p, s.Positions(i, c.n, c.k)) {
				t.Fatal("Positions not deterministic")
			}
		}
	}
	if p := s.Positions(0, 6, 10); !slicesEqual(p, []int{2, 3, 4, 5}) {
		t.Errorf("all positions: %v, want [2 3 4 5]", p)
	}
	for _, c := range []struct{ n, k int }{{2, 3}, {0, 3}, {-1, 3}, {50, 0}, {50, -1}} {
		if p := s.Positions(0, c.n, c.k); p != nil {
			t.Errorf("Positions(0, %d, %d) = %v, want nil", c.n, c.k, p)
		}
	}
}

func TestDigests(t *testing.T) {
	c := Challenge{Index: 7, Text: "hello", Template: "t01"}
	d := Digest(c)
	// Independent recomputation of the documented layout.
	var b bytes.Buffer
	b.WriteString("pot/challenge/v1/text\x00")
	binary.Write(&b, binary.BigEndian, uint64(7))
	binary.Write(&b, binary.BigEndian, uint64(3))
	b.WriteString("t01")
	binary.Write(&b, binary.BigEndian, uint64(5))
	b.WriteString("hello")
	if d != sha256.Sum256(b.Bytes()) {
		t.Errorf("Digest = %x, want %x", d, sha256.Sum256(b.Bytes()))
	}
	for _, o := range []Challenge{{8, "hello", "t01"}, {7, "hellO", "t01"}, {7, "hello", "t02"}, {7, "1hello", "t0"}} {
		if Digest(o) == d {
			t.Errorf("Digest(%+v) collides with Digest(%+v)", o, c)
		}
	}
	b.Reset()
	b.WriteString("pot/challenge/v1/tokens\x00")
	binary.Write(&b, binary.BigEndian, uint64(3))
	binary.Write(&b, binary.BigEndian, []uint32{1, 2, 151643})
	if got := DigestTokens([]int32{1, 2, 151643}); got != sha256.Sum256(b.Bytes()) {
		t.Errorf("DigestTokens = %x, want %x", got, sha256.Sum256(b.Bytes()))
	}
	if DigestTokens(nil) == DigestTokens([]int32{0}) {
		t.Error("DigestTokens(nil) == DigestTokens([0])")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newTestSource(t, testSeed(), Config{})
	want := make([]Challenge, 50)
	for i := range want {
		want[i] = s.Challenge(uint64(i))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range want {
				if s.Challenge(uint64(i)) != want[i] {
					t.Errorf("concurrent challenge %d differs", i)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkChallenge(b *testing.B) {
	s := newTestSource(b, testSeed(), Config{})
	for i := uint64(0); b.Loop(); i++ {
		_ = s.Challenge(i)
	}
}
