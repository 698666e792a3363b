package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/identity"
)

// Known trusted fingerprints are the fingerprints in PoT's fingerprints
// folder: putting one there is the user's decision to trust it (its seal
// still proves its integrity when a job reads it). A model matches a
// fingerprint when it has the fingerprinted reference's architecture and
// exactly its tensor names and shapes: any quantization of the same model
// does, a different model does not.

// shape is a model's architecture and tensors, in a comparable form.
type shape struct {
	arch    string
	tensors []string // "name dims…", sorted
}

func (s shape) equal(o shape) bool { return s.arch == o.arch && slices.Equal(s.tensors, o.tensors) }

func tensorKey(name string, dims []uint64) string {
	var b strings.Builder
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(d, 10))
	}
	return b.String()
}

// modelShape reads a model's header (not its weights).
func modelShape(path string) (shape, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return shape{}, err
	}
	defer f.Close()
	s := shape{}
	s.arch, _ = f.String("general.architecture")
	for _, t := range f.Tensors {
		s.tensors = append(s.tensors, tensorKey(t.Name, t.Dims))
	}
	slices.Sort(s.tensors)
	return s, nil
}

// referenceShape is a fingerprint's reference model in the same form.
func referenceShape(id *identity.Identity) shape {
	s := shape{arch: id.Architecture}
	for _, t := range id.Tensors {
		s.tensors = append(s.tensors, tensorKey(t.Name, t.Dims))
	}
	slices.Sort(s.tensors)
	return s
}

// knownFingerprint returns the newest fingerprint in dir whose reference
// has candidate's shape, or "" when none does. Fingerprints that do not
// read are skipped.
func knownFingerprint(candidate, dir string) string {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.potfp"))
	if len(paths) == 0 {
		return ""
	}
	want, err := modelShape(candidate)
	if err != nil {
		return ""
	}
	best, bestTime := "", int64(0)
	for _, p := range paths {
		// Only the shape is matched here; the job itself refuses a
		// fingerprint whose creator is not trusted.
		fp, err := fingerprint.Read(p, fingerprint.Trust{AllowUntrusted: true})
		if err != nil {
			continue
		}
		st, err := os.Stat(p)
		if err != nil || !referenceShape(&fp.Reference).equal(want) {
			continue
		}
		if t := st.ModTime().UnixNano(); best == "" || t > bestTime {
			best, bestTime = p, t
		}
	}
	return best
}
