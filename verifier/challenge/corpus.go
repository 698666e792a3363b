package challenge

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/proof-of-training/pot/resources"
)

// slot is a placeholder kind in a template.
type slot uint8

const (
	slotNone slot = iota
	slotNoun
	slotVerb
	slotAdj
	slotName
	slotPlace
	slotNumber
)

var slotNames = map[string]slot{
	"noun": slotNoun, "verb": slotVerb, "adj": slotAdj,
	"name": slotName, "place": slotPlace, "number": slotNumber,
}

// Number slots are filled with an integer in [numberMin, numberMax].
const (
	numberMin = 2
	numberMax = 20
)

// part is a literal followed by an optional slot.
type part struct {
	lit  string
	slot slot
}

type template struct {
	id    string
	parts []part
}

// corpus is the parsed content of resources/challenge.
type corpus struct {
	templates []template
	words     [slotNumber][]string // indexed by slot; slotNone unused
	extra     []string             // distinct nouns, verbs, adjectives, for the tail
	digest    [32]byte
}

// corpusFiles lists the files in digest order with the slot each fills.
var corpusFiles = []struct {
	name string
	slot slot
}{
	{"templates.txt", slotNone},
	{"nouns.txt", slotNoun},
	{"verbs.txt", slotVerb},
	{"adjectives.txt", slotAdj},
	{"names.txt", slotName},
	{"places.txt", slotPlace},
}

var loadCorpus = sync.OnceValues(func() (*corpus, error) { return parseCorpus(resources.Challenge, "challenge") })

// mustCorpus returns the embedded corpus. The files are compiled into the
// binary and checked by TestCorpus, so a parse failure is a broken build:
// it panics.
func mustCorpus() *corpus {
	c, err := loadCorpus()
	if err != nil {
		panic(err)
	}
	return c
}

// CorpusDigest returns SHA-256 over the domain tag "pot/challenge/v1/corpus"
// and, for each corpus file in fixed order, its name, a zero byte, its length
// (u64 big-endian) and its bytes. Certificates record it: the same seed
// gives the same challenges only with the same corpus.
func CorpusDigest() [32]byte { return mustCorpus().digest }

func parseCorpus(fsys fs.FS, dir string) (*corpus, error) {
	c := new(corpus)
	h := sha256.New()
	h.Write([]byte(domain + "corpus"))
	for _, f := range corpusFiles {
		b, err := fs.ReadFile(fsys, dir+"/"+f.name)
		if err != nil {
			return nil, fmt.Errorf("challenge corpus: %w", err)
		}
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
		lines, err := readLines(string(b))
		if err != nil {
			return nil, fmt.Errorf("challenge corpus %s: %w", f.name, err)
		}
		if f.slot == slotNone {
			c.templates, err = parseTemplates(lines)
		} else {
			c.words[f.slot], err = checkWords(lines)
		}
		if err != nil {
			return nil, fmt.Errorf("challenge corpus %s: %w", f.name, err)
		}
	}
	// The tail draws from the distinct nouns, verbs and adjectives, in file
	// order (a word in two lists, like "dream", appears once).
	seen := make(map[string]bool)
	for _, sl := range []slot{slotNoun, slotVerb, slotAdj} {
		for _, w := range c.words[sl] {
			if !seen[w] {
				seen[w] = true
				c.extra = append(c.extra, w)
			}
		}
	}
	h.Sum(c.digest[:0])
	return c, nil
}

// line is a non-comment, non-blank line with its 1-based number.
type line struct {
	n    int
	text string
}

func readLines(s string) ([]line, error) {
	var out []line
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, line{n, t})
	}
	return out, sc.Err()
}

func checkWords(lines []line) ([]string, error) {
	if len(lines) < 50 {
		return nil, fmt.Errorf("only %d words, want ≥ 50", len(lines))
	}
	seen := make(map[string]int, len(lines))
	words := make([]string, len(lines))
	for i, l := range lines {
		if strings.ContainsAny(l.text, "{}\t") {
			return nil, fmt.Errorf("line %d: %q contains a brace or tab", l.n, l.text)
		}
		if prev, dup := seen[l.text]; dup {
			return nil, fmt.Errorf("line %d: %q repeats line %d", l.n, l.text, prev)
		}
		seen[l.text] = l.n
		words[i] = l.text
	}
	return words, nil
}

func parseTemplates(lines []line) ([]template, error) {
	ids := make(map[string]int, len(lines))
	var out []template
	for _, l := range lines {
		id, text, ok := strings.Cut(l.text, ": ")
		if !ok || id == "" || strings.ContainsAny(id, " {}") {
			return nil, fmt.Errorf("line %d: want \"<id>: <text>\"", l.n)
		}
		if prev, dup := ids[id]; dup {
			return nil, fmt.Errorf("line %d: id %q repeats line %d", l.n, id, prev)
		}
		ids[id] = l.n
		t := template{id: id}
		for text != "" {
			open := strings.IndexByte(text, '{')
			if open < 0 {
				if strings.IndexByte(text, '}') >= 0 {
					return nil, fmt.Errorf("line %d: unmatched '}'", l.n)
				}
				t.parts = append(t.parts, part{lit: text})
				break
			}
			end := strings.IndexByte(text[open:], '}')
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed '{'", l.n)
			}
			name := text[open+1 : open+end]
			s, ok := slotNames[name]
			if !ok {
				return nil, fmt.Errorf("line %d: unknown slot {%s}", l.n, name)
			}
			if strings.IndexByte(text[:open], '}') >= 0 {
				return nil, fmt.Errorf("line %d: unmatched '}'", l.n)
			}
			t.parts = append(t.parts, part{lit: text[:open], slot: s})
			text = text[open+end+1:]
		}
		out = append(out, t)
	}
	if len(out) < 10 {
		return nil, fmt.Errorf("only %d templates, want ≥ 10", len(out))
	}
	return out, nil
}
