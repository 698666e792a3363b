package cert

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
)

// Merkle tree hashing of RFC 9162 (Certificate Transparency v2) §2.1, as in
// RFC 6962 §2.1: leaves and inner nodes hash with distinct prefixes so a
// leaf can never be passed off as a node.
//
//	MTH({})    = SHA-256()
//	MTH({d})   = SHA-256(0x00 || d)
//	MTH(D[n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),
//	             k the largest power of two smaller than n.

// LeafHash returns SHA-256(0x00 || data).
func LeafHash(data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// nodeHash returns SHA-256(0x01 || l || r).
func nodeHash(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// MerkleRoot returns MTH over leaf hashes (as made by LeafHash).
func MerkleRoot(leaves [][32]byte) [32]byte {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	return mth(leaves)
}

func mth(l [][32]byte) [32]byte {
	if len(l) == 1 {
		return l[0]
	}
	k := split(len(l))
	return nodeHash(mth(l[:k]), mth(l[k:]))
}

// split returns the largest power of two smaller than n (n ≥ 2).
func split(n int) int { return 1 << (bits.Len(uint(n-1)) - 1) }

// MerkleProof returns the inclusion proof PATH(m, D[n]) of RFC 9162
// §2.1.3.1 for leaf m among leaves: the sibling hashes from the leaf up.
func MerkleProof(leaves [][32]byte, m int) ([][32]byte, error) {
	if m < 0 || m >= len(leaves) {
		return nil, fmt.Errorf("cert: Merkle proof for leaf %d of %d", m, len(leaves))
	}
	var path [][32]byte
	var walk func(l [][32]byte, m int)
	walk = func(l [][32]byte, m int) {
		if len(l) <= 1 {
			return
		}
		k := split(len(l))
		if m < k {
			walk(l[:k], m)
			path = append(path, mth(l[k:]))
		} else {
			walk(l[k:], m-k)
			path = append(path, mth(l[:k]))
		}
	}
	walk(leaves, m)
	return path, nil
}

// VerifyProof reports whether proof shows that leafHash is leaf m of a tree
// of n leaves with the given root, by the algorithm of RFC 9162 §2.1.3.2.
func VerifyProof(leafHash [32]byte, m, n int, proof [][32]byte, root [32]byte) bool {
	if m < 0 || m >= n {
		return false
	}
	fn, sn := uint64(m), uint64(n-1)
	r := leafHash
	for _, p := range proof {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}
