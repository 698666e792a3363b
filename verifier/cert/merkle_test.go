package cert_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
)

// Independent, spelled-out hashing for the hand-computed trees.
func h0(d string) [32]byte { return sha256.Sum256(append([]byte{0}, d...)) }
func h1(l, r [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func leavesOf(ds ...string) [][32]byte {
	var l [][32]byte
	for _, d := range ds {
		l = append(l, LeafHash([]byte(d)))
	}
	return l
}

func TestMerkleRootByHand(t *testing.T) {
	a, b, c, d, e, f, g := h0("a"), h0("b"), h0("c"), h0("d"), h0("e"), h0("f"), h0("g")
	empty, _ := hex.DecodeString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") // SHA-256("")
	for _, tc := range []struct {
		leaves []string
		want   [32]byte
	}{
		{nil, [32]byte(empty)},
		{[]string{"a"}, a},
		{[]string{"a", "b"}, h1(a, b)},
		{[]string{"a", "b", "c"}, h1(h1(a, b), c)},
		{[]string{"a", "b", "c", "d"}, h1(h1(a, b), h1(c, d))},
		{[]string{"a", "b", "c", "d", "e"}, h1(h1(h1(a, b), h1(c, d)), e)},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, h1(h1(h1(a, b), h1(c, d)), h1(h1(e, f), g))},
	} {
		if got := MerkleRoot(leavesOf(tc.leaves...)); got != tc.want {
			t.Errorf("root of %v = %x, want %x", tc.leaves, got, tc.want)
		}
	}
}

func TestMerkleProofByHand(t *testing.T) {
	a, b, c, d, e, f, g := h0("a"), h0("b"), h0("c"), h0("d"), h0("e"), h0("f"), h0("g")
	seven := leavesOf("a", "b", "c", "d", "e", "f", "g")
	for _, tc := range []struct {
		leaves [][32]byte
		m      int
		want   [][32]byte
	}{
		{seven[:1], 0, nil},
		{seven[:3], 0, [][32]byte{b, c}},
		{seven[:3], 2, [][32]byte{h1(a, b)}},
		{seven[:5], 4, [][32]byte{h1(h1(a, b), h1(c, d))}},
		{seven, 4, [][32]byte{f, g, h1(h1(a, b), h1(c, d))}},
		{seven, 6, [][32]byte{h1(e, f), h1(h1(a, b), h1(c, d))}},
		{seven, 3, [][32]byte{c, h1(a, b), h1(h1(e, f), g)}},
	} {
		got, err := MerkleProof(tc.leaves, tc.m)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("proof of %d of %d = %x, %v; want %x", tc.m, len(tc.leaves), got, err, tc.want)
		}
	}
	_ = d
}

func TestMerkleProofs(t *testing.T) {
	var all [][32]byte
	for i := 0; i < 40; i++ {
		all = append(all, LeafHash([]byte(fmt.Sprint("record ", i))))
	}
	for n := 1; n <= len(all); n++ {
		leaves := all[:n]
		root := MerkleRoot(leaves)
		for m := 0; m < n; m++ {
			p, err := MerkleProof(leaves, m)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyProof(leaves[m], m, n, p, root) {
				t.Fatalf("n=%d m=%d: valid proof rejected", n, m)
			}
			// Each way of lying must fail.
			if m+1 < n && VerifyProof(leaves[m], m+1, n, p, root) {
				t.Errorf("n=%d m=%d: accepted at index m+1", n, m)
			}
			if VerifyProof(leaves[(m+1)%n], m, n, p, root) && n > 1 {
				t.Errorf("n=%d m=%d: accepted another leaf", n, m)
			}
			// (The tree size is not bound by the proof itself, as in
			// RFC 9162 where the signed tree head carries it; here the
			// signed statement's record count does.)
			if VerifyProof(leaves[m], m, m, p, root) {
				t.Errorf("n=%d m=%d: accepted with size m", n, m)
			}
			if len(p) > 0 {
				if VerifyProof(leaves[m], m, n, p[:len(p)-1], root) {
					t.Errorf("n=%d m=%d: accepted a truncated proof", n, m)
				}
				q := append([][32]byte(nil), p...)
				q[0][0] ^= 1
				if VerifyProof(leaves[m], m, n, q, root) {
					t.Errorf("n=%d m=%d: accepted a changed proof", n, m)
				}
			}
			if VerifyProof(leaves[m], m, n, append(p, root), root) {
				t.Errorf("n=%d m=%d: accepted an extended proof", n, m)
			}
		}
	}
	if _, err := MerkleProof(all[:3], 3); err == nil {
		t.Error("proof for leaf out of range")
	}
	if VerifyProof(all[0], -1, 3, nil, MerkleRoot(all[:3])) || VerifyProof(all[0], 0, 0, nil, [32]byte{}) {
		t.Error("VerifyProof accepted a bad index or size")
	}
}
