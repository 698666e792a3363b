package challenge

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestVocabularyDraws(t *testing.T) {
	v := &Vocabulary{Size: 10, Excluded: []int32{0, 3, 4, 9}, BOS: 1}
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	allowed := []int32{1, 2, 5, 6, 7, 8}
	for j, want := range allowed {
		if got := v.id(j); got != want {
			t.Errorf("id(%d) = %d, want %d", j, got, want)
		}
	}
	src, _ := NewSource(bytes.Repeat([]byte{7}, 32), Config{})
	seen := map[int32]int{}
	for i := range uint64(400) {
		toks := src.Tokens(i, v, 16)
		if len(toks) != 17 || toks[0] != 1 {
			t.Fatalf("challenge %d: %v", i, toks)
		}
		for _, id := range toks[1:] {
			seen[id]++
		}
	}
	for _, id := range []int32{0, 3, 4, 9} {
		if seen[id] != 0 {
			t.Errorf("excluded id %d drawn %d times", id, seen[id])
		}
	}
	for _, id := range allowed {
		// 6400 draws over 6 ids: ~1067 each; a fair draw stays within ±20%.
		if seen[id] < 850 || seen[id] > 1300 {
			t.Errorf("id %d drawn %d times of 6400", id, seen[id])
		}
	}
	for _, bad := range []Vocabulary{{Size: 0}, {Size: 3, Excluded: []int32{0, 1, 2}}, {Size: 5, Excluded: []int32{2, 1}},
		{Size: 5, Excluded: []int32{7}}, {Size: 5, BOS: 9}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestMixtureIsHalfTokens(t *testing.T) {
	src, _ := NewSource(bytes.Repeat([]byte{3}, 32), Config{})
	n := 0
	for i := range uint64(4000) {
		if src.IsTokens(i) {
			n++
		}
	}
	if n < 1850 || n > 2150 {
		t.Errorf("%d of 4000 challenges are token challenges, want about half", n)
	}
}

func TestPoolOrderWithoutReplacement(t *testing.T) {
	src, _ := NewSource(bytes.Repeat([]byte{5}, 32), Config{})
	for _, c := range []struct{ size, n int }{{1, 1}, {10, 10}, {1000, 400}, {1 << 20, 1000}} {
		order, err := src.PoolOrder(c.size, c.n)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, x := range order {
			if x < 0 || x >= c.size || seen[x] {
				t.Fatalf("size %d: index %d repeated or out of range", c.size, x)
			}
			seen[x] = true
		}
		again, _ := src.PoolOrder(c.size, c.n/2)
		for i := range again {
			if again[i] != order[i] {
				t.Fatalf("size %d: a shorter draw is not a prefix of a longer one", c.size)
			}
		}
	}
	if _, err := src.PoolOrder(10, 11); err == nil {
		t.Error("11 draws from a pool of 10 accepted")
	}
}

func TestDerivationDigests(t *testing.T) {
	seed := bytes.Repeat([]byte{9}, 32)
	cfg := Config{ExtraWords: 8}
	d := Derivation{Kind: KindMixed, Text: &cfg, Vocabulary: &Vocabulary{Size: 100, Excluded: []int32{0, 1, 2}, BOS: 1}, TokenLength: 32}
	ds, err := d.Digests(seed, 50)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := NewSource(seed, cfg)
	for i, got := range ds {
		var want [32]byte
		if src.IsTokens(uint64(i)) {
			want = DigestTokens(src.Tokens(uint64(i), d.Vocabulary, 32))
		} else {
			want = Digest(src.Challenge(uint64(i)))
		}
		if got != want {
			t.Fatalf("challenge %d: digest %x, want %x", i, got, want)
		}
	}
	fp := hex.EncodeToString(bytes.Repeat([]byte{0xab}, 32))
	pool := Derivation{Kind: KindPool, Fingerprint: fp, PoolSize: 64}
	pd, err := pool.Digests(seed, 64)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[32]byte]bool{}
	for _, x := range pd {
		if seen[x] {
			t.Fatal("a pool entry drawn twice")
		}
		seen[x] = true
	}
	if _, err := pool.Digests(seed, 65); err == nil {
		t.Error("65 challenges from a pool of 64 re-derived")
	}
	for _, bad := range []Derivation{{Kind: "text"}, {Kind: KindMixed, Text: &cfg}, {Kind: KindPool, Fingerprint: "zz", PoolSize: 3},
		{Kind: KindPool, Fingerprint: fp}, {Kind: KindMixed, Text: &cfg, Vocabulary: d.Vocabulary, TokenLength: 0}} {
		if _, err := bad.Digests(seed, 1); err == nil {
			t.Errorf("derivation %+v accepted", bad)
		}
	}
}
