package hfmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// SentencePiece piece types (sentencepiece_model.proto, SentencePiece.Type).
const (
	spmNormal      = 1
	spmUnknown     = 2
	spmControl     = 3
	spmUserDefined = 4
	spmUnused      = 5
	spmByte        = 6
)

// SPMModel is what PoT reads of a SentencePiece tokenizer.model (a
// serialized ModelProto): the pieces with their scores and types, and the
// normalizer's add_dummy_prefix flag.
//
// Spec: sentencepiece/src/sentencepiece_model.proto. ModelProto: pieces = 1,
// trainer_spec = 2, normalizer_spec = 3; SentencePiece: piece = 1,
// score = 2, type = 3 (default NORMAL); NormalizerSpec: add_dummy_prefix = 3
// (default true); TrainerSpec: model_type = 3 (UNIGRAM 1, BPE 2).
type SPMModel struct {
	Pieces         []string
	Scores         []float32
	Types          []int32 // SentencePiece.Type values (1 NORMAL … 6 BYTE)
	AddDummyPrefix bool
	ModelType      int32 // TrainerSpec.model_type; 0 if absent
}

// maxPieces bounds the vocabulary (the largest real ones have ~256k).
const maxPieces = 1 << 22

// pbuf is a protobuf wire-format cursor with a bounds check before each read.
type pbuf struct {
	b    []byte
	off  int
	path string
}

func (p *pbuf) errf(format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s at byte %#x", ErrFormat, p.path, fmt.Sprintf(format, a...), p.off)
}

func (p *pbuf) varint() (uint64, error) {
	x, n := binary.Uvarint(p.b[p.off:])
	if n <= 0 {
		return 0, p.errf("truncated or overlong varint")
	}
	p.off += n
	return x, nil
}

// field reads a field key, returning its number and wire type.
func (p *pbuf) field() (num uint64, wire uint64, err error) {
	k, err := p.varint()
	if err != nil {
		return 0, 0, err
	}
	return k >> 3, k & 7, nil
}

// bytes reads a length-delimited value.
func (p *pbuf) bytes() ([]byte, error) {
	n, err := p.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p.b)-p.off) {
		return nil, p.errf("length %d exceeds the bytes remaining", n)
	}
	b := p.b[p.off : p.off+int(n)]
	p.off += int(n)
	return b, nil
}

func (p *pbuf) fixed32() (uint32, error) {
	if len(p.b)-p.off < 4 {
		return 0, p.errf("truncated fixed32")
	}
	x := binary.LittleEndian.Uint32(p.b[p.off:])
	p.off += 4
	return x, nil
}

// skip skips a value of the given wire type.
func (p *pbuf) skip(wire uint64) error {
	switch wire {
	case 0:
		_, err := p.varint()
		return err
	case 1:
		if len(p.b)-p.off < 8 {
			return p.errf("truncated fixed64")
		}
		p.off += 8
		return nil
	case 2:
		_, err := p.bytes()
		return err
	case 5:
		_, err := p.fixed32()
		return err
	}
	return p.errf("unsupported wire type %d", wire)
}

// sub returns a cursor over a nested message, keeping absolute offsets in
// errors meaningful enough (they are relative to the nested message).
func (p *pbuf) sub(b []byte) *pbuf { return &pbuf{b: b, path: p.path} }

// ParseSPM parses a serialized SentencePiece ModelProto; path names the file
// in errors.
func ParseSPM(path string, data []byte) (*SPMModel, error) {
	m := &SPMModel{AddDummyPrefix: true}
	p := &pbuf{b: data, path: path}
	for p.off < len(p.b) {
		num, wire, err := p.field()
		if err != nil {
			return nil, err
		}
		if wire != 2 || num < 1 || num > 3 {
			if err := p.skip(wire); err != nil {
				return nil, err
			}
			continue
		}
		b, err := p.bytes()
		if err != nil {
			return nil, err
		}
		switch num {
		case 1:
			if len(m.Pieces) == maxPieces {
				return nil, p.errf("more than %d pieces", maxPieces)
			}
			err = m.readPiece(p.sub(b))
		case 2:
			err = readVarintField(p.sub(b), 3, func(x uint64) { m.ModelType = int32(x) })
		case 3:
			err = readVarintField(p.sub(b), 3, func(x uint64) { m.AddDummyPrefix = x != 0 })
		}
		if err != nil {
			return nil, err
		}
	}
	if len(m.Pieces) == 0 {
		return nil, p.errf("no pieces")
	}
	return m, nil
}

func (m *SPMModel) readPiece(p *pbuf) error {
	var piece string
	var score float32
	typ := int32(spmNormal)
	for p.off < len(p.b) {
		num, wire, err := p.field()
		if err != nil {
			return err
		}
		switch {
		case num == 1 && wire == 2:
			b, err := p.bytes()
			if err != nil {
				return err
			}
			if !utf8.Valid(b) {
				return p.errf("piece %d is not valid UTF-8", len(m.Pieces))
			}
			piece = string(b)
		case num == 2 && wire == 5:
			x, err := p.fixed32()
			if err != nil {
				return err
			}
			score = math.Float32frombits(x)
		case num == 3 && wire == 0:
			x, err := p.varint()
			if err != nil {
				return err
			}
			if x < spmNormal || x > spmByte {
				return p.errf("piece %d has unknown type %d", len(m.Pieces), x)
			}
			typ = int32(x)
		default:
			if err := p.skip(wire); err != nil {
				return err
			}
		}
	}
	m.Pieces = append(m.Pieces, piece)
	m.Scores = append(m.Scores, score)
	m.Types = append(m.Types, typ)
	return nil
}

// readVarintField calls set with the value of varint field num of a nested
// message (the last one, as protobuf merges), skipping other fields.
func readVarintField(p *pbuf, num uint64, set func(uint64)) error {
	for p.off < len(p.b) {
		n, wire, err := p.field()
		if err != nil {
			return err
		}
		if n == num && wire == 0 {
			x, err := p.varint()
			if err != nil {
				return err
			}
			set(x)
			continue
		}
		if err := p.skip(wire); err != nil {
			return err
		}
	}
	return nil
}
