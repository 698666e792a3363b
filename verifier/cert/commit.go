package cert

import "crypto/sha256"

// commit is a placeholder for challenge.Commit until verifier/challenge lands.
func commit(seed []byte) [32]byte { return sha256.Sum256(seed) }
