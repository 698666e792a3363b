package job

import (
	"crypto/rand"
	"io"
	"path/filepath"
	"runtime"

	"github.com/proof-of-training/pot/internal/version"
	"github.com/proof-of-training/pot/verifier/cert"
)

// VerifierVersion is the version a certificate records: the build
// (internal/version: release, module version, commit) and the engine's
// version. `pot --version` prints the same string.
func VerifierVersion() string { return version.String() + " " + EngineVersion }

// Statement returns the certificate statement of a finished run (its
// transcript reference is filled in by cert.Seal / cert.WriteFiles).
func (res *Result) Statement() *cert.Statement {
	seedCommit := cert.Seed{Commitment: res.Commitment, Revealed: res.Seed, ChosenBy: res.SeedChosenBy}
	return &cert.Statement{
		Type:          cert.StatementType,
		PredicateType: cert.PredicateType,
		Subject: []cert.Subject{{Name: filepath.Base(res.CandidatePath),
			Digest: cert.Digest{SHA256: res.Candidate.FileSHA256}}},
		Predicate: cert.Predicate{
			Verifier:   cert.VerifierInfo{Name: "pot", Version: VerifierVersion(), Backend: res.Backend, Host: runtime.GOOS + "/" + runtime.GOARCH},
			Reference:  res.Reference,
			Checks:     res.Checks,
			Params:     res.Params,
			Floor:      cert.Floor{Source: res.Floor.Source, Samples: res.Floor.Samples, Seed: res.Floor.Seed},
			Seed:       seedCommit,
			Derivation: res.Derivation,
			Result:     cert.Result{Verdict: res.Verdict, Reason: res.Reason, N: res.N, Levels: res.Levels},
			StartedAt:  res.Started,
			FinishedAt: res.Finish,
		},
	}
}

func randReader() io.Reader { return rand.Reader }
