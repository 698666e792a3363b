package fingerprint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/identity"
)

func sample(t testing.TB) (*Header, []Challenge, *cert.Key) {
	key, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := &Header{Version: 1, Created: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Creator: string(cert.MarshalPublicKey(key.Public())), TopK: 3, K: 2,
		Reference: identity.Identity{Architecture: "llama", Quant: map[string]identity.QuantCount{"F32": {Tensors: 1, Bytes: 4}}},
		Floors:    []Profile{{Name: "Q8_0", TensorTypes: map[string]string{"a": "Q8_0"}, Samples: []float64{0.01, 0.02}}}}
	pool := make([]Challenge, 5)
	for i := range pool {
		c := &pool[i]
		c.Tokens = []int32{1, int32(i + 2), 7, 9}
		for j := 0; j < h.K; j++ {
			c.Positions = append(c.Positions, Position{Pos: int32(j + 1), IDs: []int32{4, 5, 6},
				LogProbs: []float32{-0.1, -2.5, float32(-3 - i)}, Tail: -4})
		}
	}
	return h, pool, key
}

// trustKey trusts key only.
func trustKey(key *cert.Key) Trust { return Trust{Keys: []ed25519.PublicKey{key.Public()}} }

func encodeSample(t testing.TB) ([]byte, *cert.Key) {
	h, pool, key := sample(t)
	var buf bytes.Buffer
	if _, err := encode(&buf, h, pool, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), key
}

func TestRoundTrip(t *testing.T) {
	h, pool, key := sample(t)
	path := filepath.Join(t.TempDir(), "ref.potfp")
	digest, err := Write(path, h, pool, key)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := Read(path, Trust{Keys: []ed25519.PublicKey{key.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	if fp.SHA256 != digest || fp.KeyID != key.KeyID() || !fp.Trusted {
		t.Errorf("digest %s key %s trusted %v, want %s %s true", fp.SHA256, fp.KeyID, fp.Trusted, digest, key.KeyID())
	}
	if !reflect.DeepEqual(fp.Pool, pool) || !reflect.DeepEqual(fp.Header, *h) {
		t.Error("round trip changed the content")
	}
}

// TestTrust: an intact fingerprint counts only if its creator is trusted;
// allowing untrusted ones returns it marked untrusted.
func TestTrust(t *testing.T) {
	h, pool, key := sample(t)
	path := filepath.Join(t.TempDir(), "ref.potfp")
	if _, err := Write(path, h, pool, key); err != nil {
		t.Fatal(err)
	}
	other, _ := cert.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name    string
		trust   Trust
		trusted bool // accepted and trusted; else see err
		err     error
	}{
		{"no trusted keys", Trust{}, false, ErrUntrusted},
		{"another key trusted", Trust{Keys: []ed25519.PublicKey{other.Public()}}, false, ErrUntrusted},
		{"creator trusted", Trust{Keys: []ed25519.PublicKey{other.Public(), key.Public()}}, true, nil},
		{"untrusted allowed", Trust{Keys: []ed25519.PublicKey{other.Public()}, AllowUntrusted: true}, false, nil},
		{"creator's key id trusted", Trust{KeyIDs: []string{other.KeyID(), key.KeyID()}}, true, nil},
		{"trusted and allowed", Trust{Keys: []ed25519.PublicKey{key.Public()}, AllowUntrusted: true}, true, nil},
	} {
		fp, err := Read(path, tc.trust)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			var ue *UntrustedError
			if !errors.As(err, &ue) || ue.KeyID != key.KeyID() || !strings.Contains(err.Error(), key.KeyID()) {
				t.Errorf("%s: %v does not name the creator key %s", tc.name, err, key.KeyID())
			}
			continue
		}
		if fp.Trusted != tc.trusted || fp.KeyID != key.KeyID() {
			t.Errorf("%s: trusted %v key %s, want %v %s", tc.name, fp.Trusted, fp.KeyID, tc.trusted, key.KeyID())
		}
	}
}

// TestResealed: a fingerprint re-sealed by another key that keeps the
// original creator in its header is broken; one that names the new key is
// intact but untrusted.
func TestResealed(t *testing.T) {
	h, pool, key := sample(t)
	forger, _ := cert.GenerateKey(rand.Reader)
	trust := Trust{Keys: []ed25519.PublicKey{key.Public()}}
	var buf bytes.Buffer
	if _, err := encode(&buf, h, pool, forger); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()), trust); !errors.Is(err, ErrSeal) {
		t.Errorf("sealed by another key than the header's creator: err = %v, want ErrSeal", err)
	}
	h.Creator = string(cert.MarshalPublicKey(forger.Public()))
	buf.Reset()
	if _, err := encode(&buf, h, pool, forger); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()), trust); !errors.Is(err, ErrUntrusted) {
		t.Errorf("re-sealed by an untrusted creator: err = %v, want ErrUntrusted", err)
	}
}

// TestTamper flips every byte in turn: each must be rejected, never
// accepted and never a panic.
func TestTamper(t *testing.T) {
	data, key := encodeSample(t)
	if _, err := Decode(bytes.NewReader(data), int64(len(data)), trustKey(key)); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if _, err := Decode(bytes.NewReader(bad), int64(len(bad)), Trust{AllowUntrusted: true}); err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
}

func TestTruncated(t *testing.T) {
	data, key := encodeSample(t)
	for n := 0; n < len(data); n++ {
		if _, err := Decode(bytes.NewReader(data[:n]), int64(n), trustKey(key)); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
	extra := append(bytes.Clone(data), 0)
	if _, err := Decode(bytes.NewReader(extra), int64(len(extra)), trustKey(key)); !errors.Is(err, ErrFormat) {
		t.Errorf("trailing byte: err = %v, want ErrFormat", err)
	}
}

func TestWriteRejects(t *testing.T) {
	h, pool, key := sample(t)
	pool[1].Positions[0].Pos = 99
	if _, err := encode(new(bytes.Buffer), h, pool, key); err == nil {
		t.Error("position outside its challenge written")
	}
	h2, pool2, _ := sample(t)
	pool2[0].Positions[0].LogProbs[0] = float32(math.NaN())
	var buf bytes.Buffer
	if _, err := encode(&buf, h2, pool2, key); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(buf.Bytes()), int64(buf.Len()), trustKey(key)); !errors.Is(err, ErrFormat) {
		t.Errorf("NaN log-prob: err = %v, want ErrFormat", err)
	}
}

func FuzzDecode(f *testing.F) {
	data, key := encodeSample(f)
	f.Add(data)
	f.Add(data[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		fp, err := Decode(bytes.NewReader(b), int64(len(b)), trustKey(key))
		if err == nil && fp.SHA256 == "" {
			t.Fatal("accepted without a digest")
		}
	})
}
