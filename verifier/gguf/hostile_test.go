package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// rb builds raw GGUF bytes, valid or not.
type rb struct{ b []byte }

func (r *rb) u32(x uint32) *rb  { r.b = binary.LittleEndian.AppendUint32(r.b, x); return r }
func (r *rb) u64(x uint64) *rb  { r.b = binary.LittleEndian.AppendUint64(r.b, x); return r }
func (r *rb) str(s string) *rb  { r.u64(uint64(len(s))); r.b = append(r.b, s...); return r }
func (r *rb) raw(b ...byte) *rb { r.b = append(r.b, b...); return r }
func (r *rb) zeros(n int) *rb   { r.b = append(r.b, make([]byte, n)...); return r }
func (r *rb) pad(a int) *rb     { return r.zeros((a - len(r.b)%a) % a) }

func hdr(nTensors, nKV uint64) *rb {
	return (&rb{}).u32(Magic).u32(3).u64(nTensors).u64(nKV)
}

// ti appends one tensor info.
func (r *rb) ti(name string, dims []uint64, typ uint32, off uint64) *rb {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(typ).u64(off)
}

// kvU32 appends a uint32 metadata entry.
func (r *rb) kvU32(key string, v uint32) *rb { return r.str(key).u32(uint32(TypeUint32)).u32(v) }

// nested returns an array value nested depth levels deep (innermost empty u8).
func nested(depth int) *rb {
	r := &rb{}
	for i := 1; i < depth; i++ {
		r.u32(uint32(TypeArray)).u64(1)
	}
	return r.u32(uint32(TypeUint8)).u64(0)
}

// hostileCase is a malformed file and the error it must produce.
type hostileCase struct {
	name string
	data []byte
	is   error  // the error class
	msg  string // a substring of the message
}

// hostileCases is the hand-made hostile corpus (also FuzzParse's seeds).
func hostileCases() []hostileCase {
	f32 := uint32(0)
	one := func(name string, dims []uint64, typ uint32, off uint64, data int) []byte {
		return hdr(1, 0).ti(name, dims, typ, off).pad(32).zeros(data).b
	}
	return []hostileCase{
		{"empty", nil, ErrFormat, "truncated magic: need bytes '4' at byte 0x0"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), ErrFormat, "bad magic (not a GGUF file) '0x4c4d4747' at byte 0x0"},
		{"version 1", (&rb{}).u32(Magic).u32(1).u32(0).u32(0).b, ErrUnsupported, "GGUF version 1 (u32 counts) is not supported '1' at byte 0x4"},
		{"version 4", (&rb{}).u32(Magic).u32(4).u64(0).u64(0).b, ErrUnsupported, "unsupported GGUF version '4' at byte 0x4"},
		{"big-endian", (&rb{}).u32(Magic).raw(0, 0, 0, 3).b, ErrUnsupported, "big-endian GGUF (byte-swapped version) is not supported '0x03000000' at byte 0x4"},
		{"byte-swapped magic", []byte("FUGG\x00\x00\x00\x03"), ErrUnsupported, "big-endian GGUF (byte-swapped magic)"},
		{"no counts", (&rb{}).u32(Magic).u32(3).b, ErrFormat, "truncated tensor count"},
		{"huge n_tensors", hdr(1<<63, 0).b, ErrFormat, "tensor count exceeds the bytes remaining '9223372036854775808' at byte 0x8"},
		{"huge n_kv", hdr(0, 1<<62).b, ErrFormat, "metadata count exceeds the bytes remaining '4611686018427387904' at byte 0x10"},
		{"n_kv just too big", hdr(0, 2).kvU32("a", 1).b, ErrFormat, "metadata count exceeds the bytes remaining"},
		{"huge key length", hdr(0, 1).u64(1 << 63).zeros(13).b, ErrFormat, "metadata key too long '9223372036854775808' at byte 0x18"},
		{"key beyond end", hdr(0, 1).u64(60000).zeros(13).b, ErrFormat, "metadata key length exceeds the bytes remaining '60000'"},
		{"empty key", hdr(0, 1).kvU32("", 1).b, ErrFormat, "empty metadata key at byte 0x18"},
		{"huge string value", hdr(0, 1).str("k").u32(uint32(TypeString)).u64(1 << 40).b, ErrFormat, "string value length exceeds the bytes remaining '1099511627776' at byte 0x25"},
		{"huge array count", hdr(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeUint32)).u64(1 << 61).zeros(8).b, ErrFormat, "array count exceeds the bytes remaining '2305843009213693952' at byte 0x29"},
		{"huge string array", hdr(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(3).zeros(16).b, ErrFormat, "array count exceeds the bytes remaining '3'"},
		{"nested arrays", hdr(0, 1).str("k").u32(uint32(TypeArray)).raw(nested(5).b...).b, ErrFormat, "arrays nested too deeply '4'"},
		{"unknown value type", hdr(0, 1).str("k").u32(13).zeros(8).b, ErrFormat, "unknown metadata value type '13' at byte 0x21"},
		{"unknown array type", hdr(0, 1).str("k").u32(uint32(TypeArray)).u32(99).u64(0).b, ErrFormat, "unknown array element type '99'"},
		{"bool 2", hdr(0, 1).str("k").u32(uint32(TypeBool)).raw(2).b, ErrFormat, "bool value is not 0 or 1 '2' at byte 0x25"},
		{"bool array 2", hdr(0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeBool)).u64(2).raw(1, 7).b, ErrFormat, "bool array element 1 is not 0 or 1"},
		{"duplicate key", hdr(0, 2).kvU32("a", 1).kvU32("a", 2).b, ErrFormat, "duplicate metadata key 'a' at byte 0x29"},
		{"alignment 48", hdr(0, 1).kvU32("general.alignment", 48).b, ErrFormat, "general.alignment is not a power of two '48'"},
		{"alignment 0", hdr(0, 1).kvU32("general.alignment", 0).b, ErrFormat, "general.alignment is not a power of two '0'"},
		{"alignment u64", hdr(0, 1).str("general.alignment").u32(uint32(TypeUint64)).u64(32).b, ErrFormat, "general.alignment must be uint32, not 'uint64'"},
		{"tensor name too long", one(strings.Repeat("x", 64), []uint64{8}, f32, 0, 32), ErrFormat, "tensor name too long '64' at byte 0x18"},
		{"empty tensor name", one("", []uint64{8}, f32, 0, 32), ErrFormat, "empty tensor name"},
		{"n_dims 0", one("t", nil, f32, 0, 32), ErrFormat, `tensor "t": n_dims not in 1..4 '0' at byte 0x21`},
		{"n_dims 5", one("t", []uint64{1, 1, 1, 1, 1}, f32, 0, 32), ErrFormat, `n_dims not in 1..4 '5'`},
		{"dim zero", one("t", []uint64{8, 0}, f32, 0, 32), ErrFormat, `tensor "t": dimension 1 is zero`},
		{"dim overflow", one("t", []uint64{1 << 32, 1 << 32}, f32, 0, 32), ErrFormat, `tensor "t": element count overflows at dimension 1 '4294967296'`},
		{"dims over 2^53", one("t", []uint64{1 << 27, 1 << 27}, f32, 0, 32), ErrFormat, `element count overflows at dimension 1`},
		{"unknown tensor type", one("t", []uint64{8}, 23, 0, 32), ErrUnsupported, `tensor "t": unknown ggml type id '23'`},
		{"block multiple", one("t", []uint64{48}, 8, 0, 64), ErrFormat, `tensor "t": ne[0] is not a multiple of the Q8_0 block size 32 '48'`},
		{"offset beyond file", one("t", []uint64{8}, f32, 1<<40, 32), ErrFormat, `tensor "t": data (32 bytes) extends beyond the end of the file; offset '1099511627776'`},
		{"offset overflow", one("t", []uint64{8}, f32, 1<<64-32, 32), ErrFormat, `extends beyond the end of the file`},
		{"data truncated", one("t", []uint64{8}, f32, 0, 31), ErrFormat, `tensor "t": data (32 bytes) extends beyond`},
		{"misaligned offset", one("t", []uint64{8}, f32, 4, 64), ErrFormat, `tensor "t": offset not a multiple of the alignment 32 '4'`},
		{"overlap", hdr(2, 0).ti("a", []uint64{16}, f32, 0).ti("b", []uint64{8}, f32, 32).pad(32).zeros(128).b, ErrFormat, `tensor "b" overlaps tensor "a"; offset '32'`},
		{"same offset", hdr(2, 0).ti("a", []uint64{8}, f32, 32).ti("b", []uint64{8}, f32, 32).pad(32).zeros(128).b, ErrFormat, `overlaps tensor`},
		{"duplicate tensor", hdr(2, 0).ti("a", []uint64{8}, f32, 0).ti("a", []uint64{8}, f32, 32).pad(32).zeros(64).b, ErrFormat, `duplicate tensor name 'a'`},
		{"huge n_tensors after kv", hdr(1000, 1).kvU32("a", 1).ti("t", []uint64{8}, f32, 0).b, ErrFormat, "tensor count exceeds the bytes remaining '1000' at byte 0x8"},
		{"data section past end", hdr(1, 0).ti("t", []uint64{8}, f32, 0).b, ErrFormat, "tensor data section starts beyond the end of the file"},
	}
}

func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			f, err := Parse(c.data)
			runtime.ReadMemStats(&ms1)
			if err == nil {
				t.Fatalf("parsed: %d KV, %d tensors", len(f.KV), len(f.Tensors))
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q (%T), want %v containing %q", err, err, c.is, c.msg)
			}
			if other := map[error]error{ErrFormat: ErrUnsupported, ErrUnsupported: ErrFormat}[c.is]; errors.Is(err, other) {
				t.Errorf("error matches both classes")
			}
			if a := ms1.TotalAlloc - ms0.TotalAlloc; a > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte input", a, len(c.data))
			}
		})
	}
}

// TestHostileValidBaselines checks that the builders make valid files when
// not told to break them, so each hostile case fails for its stated reason.
func TestHostileValidBaselines(t *testing.T) {
	for name, b := range map[string][]byte{
		"one tensor":  hdr(1, 0).ti("t", []uint64{8}, 0, 0).pad(32).zeros(32).b,
		"two tensors": hdr(2, 0).ti("a", []uint64{8}, 0, 0).ti("b", []uint64{8}, 0, 32).pad(32).zeros(64).b,
		"nested 3":    hdr(0, 1).str("k").u32(uint32(TypeArray)).raw(nested(3).b...).b,
		"align 64":    hdr(1, 1).kvU32("general.alignment", 64).ti("t", []uint64{8}, 0, 0).pad(64).zeros(32).b,
		"q8 block":    hdr(1, 0).ti("t", []uint64{64}, 8, 0).pad(32).zeros(68).b,
	} {
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTruncated parses every prefix of a valid file with every value type:
// each must fail with ErrFormat (never panic), and the whole file parses.
// A file missing only the padding after its last tensor is valid.
func TestTruncated(t *testing.T) {
	kv, tensors, _ := synth()
	var buf bytes.Buffer
	if err := Write(&buf, kv, tensors, 0); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// The zero padding after the last tensor is optional; stop at its end.
	last := f.Tensors[len(f.Tensors)-1]
	end := int(f.DataOffset) + int(last.Offset+last.Size)
	if end == len(b) {
		t.Fatal("test needs trailing padding")
	}
	if _, err := Parse(b[:end:end]); err != nil {
		t.Errorf("file without trailing padding: %v", err)
	}
	for n := 0; n < end; n++ {
		_, err := Parse(b[:n:n])
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("prefix %d of %d: error %v", n, len(b), err)
		}
	}
}
