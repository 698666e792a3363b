package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// GPT-2's bytes_to_unicode (openai/gpt-2 src/encoder.py): the printable
// bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves; the other 68
// bytes map, in increasing order, to U+0100, U+0101, … so that every byte
// has a visible, non-space character.
var (
	byteEnc [256]string   // byte → UTF-8 of its character
	byteDec map[rune]byte // character → byte
)

func init() {
	byteDec = make(map[rune]byte, 256)
	n := rune(0)
	for b := range 256 {
		r := rune(b)
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if !printable {
			r = 256 + n
			n++
		}
		byteEnc[b] = string(r)
		byteDec[r] = byte(b)
	}
}

// ByteLevelChar returns the character GPT-2's byte-level BPE vocabularies
// write byte b as ("Ġ" for a space): what a generated vocabulary must use
// for its tokens to encode and decode here.
func ByteLevelChar(b byte) string { return byteEnc[b] }

// buildPieces precomputes the decoded bytes of every token as llama.cpp's
// token_to_piece renders it with special=false: control, unknown, unused
// and undefined tokens render as nothing; user-defined tokens as their
// text; byte tokens as their byte; normal SPM tokens with '▁' → ' ';
// normal BPE tokens through the reversed byte mapping.
func (t *Tokenizer) buildPieces() {
	t.pieces = make([]string, len(t.tokens))
	var buf []byte
	for id, text := range t.tokens {
		a := t.attrs[id]
		switch {
		case a&(attrControl|attrUnknown) != 0:
			// rendered only by DecodeOptions.Special
		case a&attrUser != 0:
			t.pieces[id] = text
		case a&attrNormal != 0:
			if t.family == familySPM {
				t.pieces[id] = strings.ReplaceAll(text, "▁", " ")
				break
			}
			buf = buf[:0]
			for _, r := range text {
				if b, ok := byteDec[r]; ok {
					buf = append(buf, b)
				} else {
					// Not in the byte alphabet (malformed vocabulary):
					// llama.cpp prints "[UNK_BYTE_0x…]"; keep the character.
					buf = utf8.AppendRune(buf, r)
				}
			}
			t.pieces[id] = string(buf)
		case a&attrByte != 0:
			// llama.cpp token_to_byte: the hex digits of "<0xXX>".
			if len(text) == 6 && strings.HasPrefix(text, "<0x") && text[5] == '>' {
				if v, err := strconv.ParseUint(text[3:5], 16, 8); err == nil {
					t.pieces[id] = string([]byte{byte(v)})
				}
			}
		}
	}
}

// DecodeOptions changes how DecodeWith renders tokens.
type DecodeOptions struct {
	// Special renders control and unknown tokens ("<s>", "<|im_end|>") as
	// their text instead of omitting them.
	Special bool
	// KeepSpacePrefix keeps the space that add_space_prefix put before the
	// first word; by default the first rendered piece loses one leading space.
	KeepSpacePrefix bool
}

// Decode returns the text of ids, omitting control and unknown tokens and
// removing the add_space_prefix space, so that for valid UTF-8 text s,
// Decode(Encode(s, addSpecial, false)) == s. (Exceptions: an SPM vocabulary
// without byte tokens encodes unknown characters as UNK; and after a
// user-defined token of an SPM vocabulary Encode prefixes a space, as
// llama.cpp does.) (llama.cpp's llama_detokenize
// keeps that space when the ids start with BOS, and for BPE vocabularies
// also applies clean_up_tokenization_spaces; neither is done here.) An id
// out of range is an error wrapping ErrTokenID.
func (t *Tokenizer) Decode(ids []int32) (string, error) {
	return t.DecodeWith(ids, DecodeOptions{})
}

// DecodeWith is Decode with options.
func (t *Tokenizer) DecodeWith(ids []int32, o DecodeOptions) (string, error) {
	var b strings.Builder
	strip := t.addSpacePrefix && !o.KeepSpacePrefix
	for i, id := range ids {
		p, err := t.piece(id, o.Special)
		if err != nil {
			return "", fmt.Errorf("tokenizer: decode: position %d: %w", i, err)
		}
		if p == "" {
			continue
		}
		if strip {
			p = strings.TrimPrefix(p, " ")
			strip = false
		}
		b.WriteString(p)
	}
	return b.String(), nil
}

// Piece returns the bytes id stands for, as Decode renders it (without
// space-prefix removal); control and unknown tokens render as their text
// only if special. A piece may be part of a UTF-8 sequence (byte tokens),
// so concatenate pieces before interpreting them as text.
func (t *Tokenizer) Piece(id int32, special bool) (string, error) {
	return t.piece(id, special)
}

func (t *Tokenizer) piece(id int32, special bool) (string, error) {
	if id < 0 || int(id) >= len(t.tokens) {
		return "", fmt.Errorf("id %d not in [0, %d): %w", id, len(t.tokens), ErrTokenID)
	}
	if special && t.attrs[id]&(attrControl|attrUnknown) != 0 {
		return t.tokens[id], nil
	}
	return t.pieces[id], nil
}
