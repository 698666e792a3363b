package version

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct {
		name string
		b    Build
		want string
	}{
		{"nothing stamped", Build{}, Release},
		{"devel", Build{Module: "(devel)"}, Release},
		{"commit", Build{Module: "(devel)", Commit: "18800b3abcdef0123456789"}, Release + " (commit 18800b3abcde)"},
		{"dirty pseudo-version", Build{Module: "v0.0.0-20261202072549-18800b3abcde+dirty", Commit: "18800b3abcdef0123456789", Modified: true},
			Release + " (v0.0.0-20261202072549-18800b3abcde+dirty, commit 18800b3abcde+dirty)"},
		{"short commit", Build{Commit: "abc"}, Release + " (commit abc)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.b.String(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
