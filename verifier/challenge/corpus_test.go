package challenge

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCorpus(t *testing.T) {
	c, err := loadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.templates) < 30 {
		t.Errorf("%d templates, want ≥ 30", len(c.templates))
	}
	names := map[slot]string{slotNoun: "nouns", slotVerb: "verbs", slotAdj: "adjectives", slotName: "names", slotPlace: "places"}
	for sl, name := range names {
		if n := len(c.words[sl]); n < 90 {
			t.Errorf("%s: %d words, want ≥ 90", name, n)
		}
		t.Logf("%s: %d words", name, len(c.words[sl]))
	}
	used := map[slot]bool{}
	for _, tp := range c.templates {
		n := 0
		for _, p := range tp.parts {
			if p.slot != slotNone {
				used[p.slot] = true
				n++
			}
		}
		if n == 0 {
			t.Errorf("template %s has no slot", tp.id)
		}
	}
	for sl := slotNoun; sl <= slotNumber; sl++ {
		if !used[sl] {
			t.Errorf("slot %d used by no template", sl)
		}
	}
	t.Logf("%d templates, %d distinct tail words, corpus digest %x", len(c.templates), len(c.extra), c.digest)
}

func TestParseCorpusErrors(t *testing.T) {
	words := func(prefix string) string {
		var b strings.Builder
		for i := range 60 {
			b.WriteString(prefix)
			b.WriteString(strings.Repeat("x", i+1))
			b.WriteByte('\n')
		}
		return b.String()
	}
	var tpls strings.Builder
	for i := range 12 {
		tpls.WriteString("t" + strings.Repeat("a", i+1) + ": The {noun} and {number}.\n")
	}
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"c/templates.txt":  {Data: []byte("# comment\n\n" + tpls.String())},
			"c/nouns.txt":      {Data: []byte(words("n"))},
			"c/verbs.txt":      {Data: []byte(words("v"))},
			"c/adjectives.txt": {Data: []byte(words("a"))},
			"c/names.txt":      {Data: []byte(words("N"))},
			"c/places.txt":     {Data: []byte(words("p"))},
		}
	}
	if _, err := parseCorpus(base(), "c"); err != nil {
		t.Fatalf("valid corpus: %v", err)
	}
	tests := []struct {
		name, file, data, want string
	}{
		{"missing file", "nouns.txt", "", "file does not exist"},
		{"unknown slot", "templates.txt", tpls.String() + "tz: a {nouns}\n", "unknown slot {nouns}"},
		{"unclosed", "templates.txt", tpls.String() + "tz: a {noun\n", "unclosed '{'"},
		{"stray close", "templates.txt", tpls.String() + "tz: a noun}\n", "unmatched '}'"},
		{"stray close before slot", "templates.txt", tpls.String() + "tz: a } {noun}\n", "unmatched '}'"},
		{"no id", "templates.txt", tpls.String() + "just text {noun}\n", "want \"<id>: <text>\""},
		{"duplicate id", "templates.txt", tpls.String() + "ta: again {noun}\n", "id \"ta\" repeats"},
		{"few templates", "templates.txt", "t1: {noun}\n", "only 1 templates"},
		{"duplicate word", "verbs.txt", words("v") + "vx\n", "\"vx\" repeats line 1"},
		{"brace in word", "names.txt", words("N") + "{x}\n", "contains a brace"},
		{"few words", "places.txt", "a\nb\n", "only 2 words"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := base()
			if tc.data == "" {
				delete(fs, "c/"+tc.file)
			} else {
				fs["c/"+tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
			}
			_, err := parseCorpus(fs, "c")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
	// The digest covers every file.
	a, _ := parseCorpus(base(), "c")
	fs := base()
	fs["c/places.txt"] = &fstest.MapFile{Data: []byte(words("p") + "extra\n")}
	b, _ := parseCorpus(fs, "c")
	if a.digest == b.digest {
		t.Error("corpus digest ignores places.txt")
	}
}
