package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The Verify Model… flow: the candidate, then its reference (a fingerprint
// or the original model; PoT's fingerprints folder, where trusted
// fingerprints are kept, is where the dialog opens), and when to run.

// candidateRequest asks for the model to verify.
func candidateRequest() FileRequest {
	return FileRequest{Title: "Verify Model: choose the model file",
		Filters: []Filter{{"GGUF models", []string{"*.gguf"}}, {"All files", []string{"*"}}}}
}

// choiceWhen asks when to run.
const choiceWhen = "when"

// referenceRequest asks for candidate's reference, opening in fpDir.
func referenceRequest(candidate, fpDir string) FileRequest {
	return FileRequest{
		Title: "Verify " + filepath.Base(candidate) + ": choose its reference — a trusted fingerprint (.potfp) or the original model (.gguf)",
		Filters: []Filter{{"Fingerprints and models", []string{"*.potfp", "*.gguf"}},
			{"Fingerprints", []string{"*.potfp"}}, {"GGUF models", []string{"*.gguf"}}, {"All files", []string{"*"}}},
		Folder: fpDir,
		Choices: []Choice{{ID: choiceWhen, Label: "Run", Default: WhenNow,
			Options: []Option{{WhenNow, "Now"}, {WhenTonight, "Tonight"}}}},
	}
}

// fingerprintMagic opens every fingerprint file (verifier/fingerprint.Magic;
// not imported, to keep the agent's imports small).
const fingerprintMagic = "POTFP"

// specFor builds the job for candidate from the reference dialog's answer:
// a file starting with the GGUF magic is a reference model, one starting
// with the fingerprint magic a fingerprint; anything else is refused with
// the file's name.
func specFor(candidate string, req FileRequest, ans FileAnswer, magic func(string) (string, error)) (Spec, error) {
	s := Spec{Candidate: candidate, When: req.answerOrDefault(ans, choiceWhen)}
	m, err := magic(ans.Path)
	if err != nil {
		return s, err
	}
	switch {
	case strings.HasPrefix(m, "GGUF"):
		s.Reference = ans.Path
	case strings.HasPrefix(m, fingerprintMagic):
		s.Fingerprint = ans.Path
	default:
		return s, fmt.Errorf("%s is neither a GGUF model nor a PoT fingerprint", ans.Path)
	}
	if same(candidate, ans.Path) {
		return s, fmt.Errorf("%s cannot be its own reference", candidate)
	}
	return s, nil
}

func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// readMagic returns a file's first bytes.
func readMagic(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := make([]byte, 8)
	n, _ := f.Read(b)
	return string(b[:n]), nil
}

// verifyFlow runs Verify Model… for candidate ("" to ask for it) and queues
// the job. It returns the job id.
func verifyFlow(ctx context.Context, ch Chooser, q Queue, candidate, fpDir string) (string, error) {
	if ch == nil {
		return "", ErrNoChooser
	}
	if candidate == "" {
		ans, err := ch.ChooseFile(ctx, candidateRequest())
		if err != nil {
			return "", err
		}
		candidate = ans.Path
	}
	if m, err := readMagic(candidate); err != nil {
		return "", err
	} else if !strings.HasPrefix(m, "GGUF") {
		return "", fmt.Errorf("%s is not a GGUF model file", candidate)
	}
	req := referenceRequest(candidate, fpDir)
	ans, err := ch.ChooseFile(ctx, req)
	if err != nil {
		return "", err
	}
	spec, err := specFor(candidate, req, ans, readMagic)
	if err != nil {
		return "", err
	}
	return q.Add(spec)
}
