package challenge

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vectors is the golden file: everything seed 0x00…0x1f derives.
type vectors struct {
	Seed         string      `json:"seed"`
	Commitment   string      `json:"commitment"`
	CorpusDigest string      `json:"corpus_digest"`
	Challenges   []Challenge `json:"challenges"`    // default Config, i = 0…15
	Short        []Challenge `json:"short"`         // ExtraWords −1, i = 0…7
	Digests      []string    `json:"digests"`       // Digest(challenges[i])
	Positions    [][]int     `json:"positions"`     // Positions(i, 64, 8), i = 0…15
	PositionsBig [][]int     `json:"positions_big"` // Positions(i, 4096, 32), i = 0…3
	Indices      []int       `json:"indices"`       // Index(i, 1000), i = 0…31
	Indices7     []int       `json:"indices7"`      // Index(i, 7), i = 0…31
	TokenDigest  string      `json:"token_digest"`  // DigestTokens([1 2 3 128000])
}

func computeVectors(t *testing.T) vectors {
	seed := testSeed()
	s := newTestSource(t, seed, Config{})
	short := newTestSource(t, seed, Config{ExtraWords: -1})
	c, cd := Commit(seed), CorpusDigest()
	v := vectors{Seed: hex.EncodeToString(seed), Commitment: hex.EncodeToString(c[:]), CorpusDigest: hex.EncodeToString(cd[:])}
	for i := uint64(0); i < 16; i++ {
		ch := s.Challenge(i)
		d := Digest(ch)
		v.Challenges = append(v.Challenges, ch)
		v.Digests = append(v.Digests, hex.EncodeToString(d[:]))
		v.Positions = append(v.Positions, s.Positions(i, 64, 8))
	}
	for i := uint64(0); i < 8; i++ {
		v.Short = append(v.Short, short.Challenge(i))
	}
	for i := uint64(0); i < 4; i++ {
		v.PositionsBig = append(v.PositionsBig, s.Positions(i, 4096, 32))
	}
	for i := uint64(0); i < 32; i++ {
		v.Indices = append(v.Indices, s.Index(i, 1000))
		v.Indices7 = append(v.Indices7, s.Index(i, 7))
	}
	td := DigestTokens([]int32{1, 2, 3, 128000})
	v.TokenDigest = hex.EncodeToString(td[:])
	return v
}

// TestVectors checks everything the fixed seed derives against
// testdata/vectors.json, written once by this code with -update. A change to
// the derivation, the corpus or a digest layout fails here and must come
// with a new version tag (domain) and regenerated vectors.
func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	got := computeVectors(t)
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want vectors
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s differs from %s:\n got %v\nwant %v", gv.Type().Field(i).Name, path,
				gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}
