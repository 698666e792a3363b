package cert

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/proof-of-training/pot/internal/atomicfile"
)

// File name suffixes of a certificate and its transcript.
const (
	CertSuffix       = ".cert.json"
	TranscriptSuffix = ".transcript.jsonl"
)

// Seal encodes recs as the transcript, binds it into st (transcript name,
// digest, Merkle root and record count), and signs st with k. It returns the
// envelope and the transcript file's contents; transcriptName is the file
// name the transcript will be stored under, beside the certificate.
func Seal(st *Statement, recs []Record, transcriptName string, k *Key) (envelope, transcript []byte, err error) {
	t, err := EncodeTranscript(recs)
	if err != nil {
		return nil, nil, err
	}
	digest, root := t.Digest(), t.Root()
	st.Predicate.Transcript = TranscriptRef{
		Name:       transcriptName,
		Digest:     Digest{SHA256: hex.EncodeToString(digest[:])},
		MerkleRoot: hex.EncodeToString(root[:]),
		Records:    len(recs),
	}
	env, err := Sign(st, k)
	if err != nil {
		return nil, nil, err
	}
	return env, t.Bytes(), nil
}

// WriteFiles seals st and recs (see Seal) and writes the certificate and the
// transcript into dir (created 0700 if missing), both or neither
// (atomicfile.WriteAll), under a new name
// "pot-<finished, UTC>-<subject digest prefix>[-k]": an existing file is never
// replaced. It returns the two paths.
func WriteFiles(dir string, st *Statement, recs []Record, k *Key) (certPath, transcriptPath string, err error) {
	if len(st.Subject) != 1 {
		return "", "", errorf(ErrSchema, "subject: %d entries, want 1", len(st.Subject))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("cert: certificate directory: %w", err)
	}
	base, err := freeBase(dir, st)
	if err != nil {
		return "", "", err
	}
	env, tr, err := Seal(st, recs, base+TranscriptSuffix, k)
	if err != nil {
		return "", "", err
	}
	transcriptPath = filepath.Join(dir, base+TranscriptSuffix)
	certPath = filepath.Join(dir, base+CertSuffix)
	// One unit: a certificate is only valid with its transcript, and the
	// certificate (renamed last) vouches for the transcript.
	err = atomicfile.WriteAll([]atomicfile.File{{Path: transcriptPath, Perm: 0o644, Data: tr}, {Path: certPath, Perm: 0o644, Data: env}})
	if err != nil {
		return "", "", fmt.Errorf("cert: writing the certificate: %w", err)
	}
	return certPath, transcriptPath, nil
}

// freeBase picks a base name whose certificate and transcript names are both
// unused in dir.
func freeBase(dir string, st *Statement) (string, error) {
	d := st.Subject[0].Digest.SHA256
	if len(d) > 12 {
		d = d[:12]
	}
	base := "pot-" + st.Predicate.FinishedAt.UTC().Format("20060102T150405Z") + "-" + d
	for i := 1; i <= 1000; i++ {
		b := base
		if i > 1 {
			b += "-" + strconv.Itoa(i)
		}
		if !exists(filepath.Join(dir, b+CertSuffix)) && !exists(filepath.Join(dir, b+TranscriptSuffix)) {
			return b, nil
		}
	}
	return "", fmt.Errorf("cert: no free certificate name for %s in %s", base, dir)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
