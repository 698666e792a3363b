// Package version says which build of PoT is running: the release number,
// and the module version and VCS commit Go stamped into the binary
// (runtime/debug.ReadBuildInfo). `pot --version` prints it and every
// certificate records it, so a certificate names the exact code that made it.
//
// Left out: anything read at run time from the environment; a binary built
// without VCS information (go test, go run, -buildvcs=false, a source
// tarball) reports only what it has.
package version

import (
	"runtime/debug"
	"strings"
)

// Release is PoT's release number. It changes with each release; the commit
// in String tells builds between releases apart.
const Release = "0.1.0"

// Set by build.sh (-ldflags -X) for toolchains that stamp no VCS
// information (GOFLAGS=-buildvcs=false, or no usable git at build time);
// what the toolchain stamps wins.
var (
	commit   string
	modified string // "true" for a work tree with uncommitted changes
)

// Build is what the Go toolchain (or build.sh) stamped into the binary.
type Build struct {
	Module   string // the main module's version: a tag, a pseudo-version, or "(devel)"
	Commit   string // VCS revision, "" if unknown
	Time     string // commit time (RFC 3339), "" if unknown
	Modified bool   // the work tree had uncommitted changes
	Go       string // toolchain version, e.g. go1.26.0
}

// Read returns the build information of the running binary.
func Read() Build {
	b := Build{Commit: commit, Modified: modified == "true"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Go = bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the version a certificate records and `pot --version` prints
// first: "0.1.0", then the module version when it is a real one, and the
// commit (12 hex digits) with "+dirty" for a modified work tree, e.g.
// "0.1.0 (v0.0.0-20261202072549-18800b3abcde+dirty, commit 18800b3abcde+dirty)".
func String() string { return Read().String() }

// String formats b after the release number; see the package-level String.
func (b Build) String() string {
	var parts []string
	if b.Module != "" && b.Module != "(devel)" {
		parts = append(parts, b.Module)
	}
	if b.Commit != "" {
		c := b.Commit[:min(12, len(b.Commit))]
		if b.Modified {
			c += "+dirty"
		}
		parts = append(parts, "commit "+c)
	}
	if len(parts) == 0 {
		return Release
	}
	return Release + " (" + strings.Join(parts, ", ") + ")"
}
