// Package resources embeds the data files PoT ships inside its binary.
//
// Scope: the challenge templates and word lists under challenge/ (read by
// verifier/challenge). Icons and other assets may be added beside them in
// their own files. The files are trusted build inputs, not user data; they
// are parsed and validated by their readers, whose tests fail on a malformed
// file. Changing a challenge file changes the challenges every seed derives,
// so the reader publishes a digest of the whole set (challenge.CorpusDigest).
package resources

import "embed"

// Challenge holds challenge/templates.txt and the word lists
// challenge/{nouns,verbs,adjectives,names,places}.txt.
//
//go:embed challenge/*.txt
var Challenge embed.FS
