package testdata

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
)

// missing notes what the package's tests had to skip, for Main's summary.
var missing struct {
	sync.Mutex
	what map[string]string // what is missing → how to get it
}

// Missing reports that the test cannot run without what (a tool, a file,
// a privilege), which how says how to get. The test fails when
// POT_REQUIRE_SYSTEM=1 (as CI sets it); else the reason is logged, noted
// for Main's summary line, and the test skipped.
func Missing(tb testing.TB, what, how string) {
	tb.Helper()
	msg := what + " is missing (" + how + ")"
	if os.Getenv("POT_REQUIRE_SYSTEM") == "1" {
		tb.Fatal(msg + "; POT_REQUIRE_SYSTEM=1 requires it")
	}
	note(what, how)
	tb.Log(msg)
	tb.Skip("skipped: " + msg)
}

// note records what for the summary.
func note(what, how string) {
	missing.Lock()
	defer missing.Unlock()
	if missing.what == nil {
		missing.what = map[string]string{}
	}
	missing.what[what] = how
}

// Tool returns the path of the first of names on PATH; if none is there,
// see Missing (how says how to install it).
func Tool(tb testing.TB, how string, names ...string) string {
	tb.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Missing(tb, strings.Join(names, " or "), how)
	return ""
}

// Main runs the tests and then prints one summary line naming what was
// missing, if anything, so that skipped tests are not silent: use it as
// func TestMain(m *testing.M) { os.Exit(testdata.Main(m)) }. (go test shows
// a passing package's output with -v, or when run in its directory.)
func Main(m *testing.M) int {
	code := m.Run()
	if s := summary(); s != "" {
		fmt.Println(s)
	}
	return code
}

func summary() string {
	missing.Lock()
	defer missing.Unlock()
	if len(missing.what) == 0 {
		return ""
	}
	var parts []string
	for w, how := range missing.what {
		parts = append(parts, w+" ("+how+")")
	}
	sort.Strings(parts)
	return "NOTE: tests were skipped because these are missing: " + strings.Join(parts, "; ")
}
