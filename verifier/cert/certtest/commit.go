package certtest

import "crypto/sha256"

// commit mirrors cert's placeholder until verifier/challenge lands.
func commit(seed []byte) [32]byte { return sha256.Sum256(seed) }
