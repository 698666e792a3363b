package tokenizer

import (
	"fmt"
	"unicode"
)

// Byte-level BPE pre-tokenizers: hand-written matchers equivalent to the
// regular expressions of the HF tokenizer.json files, as in llama.cpp
// src/unicode.cpp (unicode_regex_split_custom_llama3/gpt2). Go's regexp
// (RE2) cannot express the lookahead \s+(?!\S), so none of them use it.
//
// A splitter works on code points c[lo:hi] and calls emit(a, b) for each
// piece c[a:b], in order; the pieces tile [lo, hi).
type splitter func(c []rune, lo, hi int, emit func(a, b int))

// preTokenizer maps tokenizer.ggml.pre to its splitter, and reports whether
// llama.cpp sets ignore_merges for it.
func preTokenizer(pre string) (splitter, bool, error) {
	if isLlama3(pre) {
		return splitLlama3, true, nil
	}
	switch pre {
	case "qwen2", "deepseek-r1-qwen":
		return splitQwen2, false, nil
	case "gpt-2":
		return splitGPT2, false, nil
	case "", "default":
		return splitDefault, false, nil
	}
	return nil, false, fmt.Errorf("tokenizer: pre-tokenizer %q: %w", pre, ErrUnsupported)
}

// isLlama3 reports the names llama.cpp maps to its LLAMA3 pre-tokenizer
// (which also defaults add_bos_token to true).
func isLlama3(pre string) bool {
	return pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3"
}

// Character classes of the regexes. \s is Unicode White_Space (which is what
// unicode.IsSpace implements and what llama.cpp's unicode_set_whitespace
// holds); \p{L} and \p{N} are the general categories L* and N*.
func isSpace(r rune) bool  { return unicode.IsSpace(r) }
func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }

// isOther reports [^\s\p{L}\p{N}].
func isOther(r rune) bool { return !isSpace(r) && !isLetter(r) && !isNumber(r) }

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

// lowerASCII folds A-Z; enough for the contractions, since no other code
// point lowercases to one of "stmdrvel".
func lowerASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// contraction returns the length (2 or 3) of 's|'t|'re|'ve|'m|'ll|'d at
// c[p] (c[p] == '\”, p+1 < hi), case-insensitively if fold; 0 if none.
func contraction(c []rune, p, hi int, fold bool) int {
	low := func(r rune) rune {
		if fold {
			return lowerASCII(r)
		}
		return r
	}
	switch low(c[p+1]) {
	case 's', 't', 'm', 'd':
		return 2
	}
	if p+2 < hi {
		x, y := low(c[p+1]), low(c[p+2])
		if (x == 'r' && y == 'e') || (x == 'v' && y == 'e') || (x == 'l' && y == 'l') {
			return 3
		}
	}
	return 0
}

// splitLlama3 implements the Llama 3 regex
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(c []rune, lo, hi int, emit func(a, b int)) { splitL3(c, lo, hi, 3, emit) }

// splitQwen2 implements the Qwen2 regex: Llama 3's with \p{N} for \p{N}{1,3}.
func splitQwen2(c []rune, lo, hi int, emit func(a, b int)) { splitL3(c, lo, hi, 1, emit) }

// splitL3 is the Llama 3 / Qwen2 matcher; maxDigits is the digit-run limit.
// Each branch below is one alternative of the regex, tried in order; every
// code point is matched by some branch, so pieces are never empty.
func splitL3(c []rune, lo, hi, maxDigits int, emit func(a, b int)) {
	p := lo
	for p < hi {
		r := c[p]
		start := p
		// (?i:'s|'t|'re|'ve|'m|'ll|'d)
		if r == '\'' && p+1 < hi {
			if n := contraction(c, p, hi, true); n > 0 {
				emit(p, p+n)
				p += n
				continue
			}
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if !isCRLF(r) && !isNumber(r) && (isLetter(r) || (p+1 < hi && isLetter(c[p+1]))) {
			p++
			for p < hi && isLetter(c[p]) {
				p++
			}
			emit(start, p)
			continue
		}
		// \p{N}{1,maxDigits}
		if isNumber(r) {
			for p < hi && isNumber(c[p]) && p-start < maxDigits {
				p++
			}
			emit(start, p)
			continue
		}
		// ' '?[^\s\p{L}\p{N}]+[\r\n]*
		q := p
		if r == ' ' {
			q++
		}
		if q < hi && isOther(c[q]) {
			for q < hi && isOther(c[q]) {
				q++
			}
			for q < hi && isCRLF(c[q]) {
				q++
			}
			emit(start, q)
			p = q
			continue
		}
		// Whitespace run c[p:e]; lastNL is one past its last \r or \n.
		e, lastNL := p, -1
		for e < hi && isSpace(c[e]) {
			if isCRLF(c[e]) {
				lastNL = e + 1
			}
			e++
		}
		switch {
		case lastNL > 0: // \s*[\r\n]+
			p = lastNL
		case e-p > 1 && e < hi: // \s+(?!\S): leave the last space to the next word
			p = e - 1
		case e > p: // \s+
			p = e
		default: // unreachable: every code point is L, N, \s or other
			p++
		}
		emit(start, p)
	}
}

// splitGPT2 implements the GPT-2 regex
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(c []rune, lo, hi int, emit func(a, b int)) {
	p := lo
	for p < hi {
		r := c[p]
		start := p
		if r == '\'' && p+1 < hi {
			if n := contraction(c, p, hi, false); n > 0 {
				emit(p, p+n)
				p += n
				continue
			}
		}
		q := p
		if r == ' ' {
			q++
		}
		if q < hi {
			var class func(rune) bool
			switch x := c[q]; {
			case isLetter(x):
				class = isLetter
			case isNumber(x):
				class = isNumber
			case isOther(x):
				class = isOther
			}
			if class != nil {
				for q < hi && class(c[q]) {
					q++
				}
				emit(start, q)
				p = q
				continue
			}
		}
		e := p
		for e < hi && isSpace(c[e]) {
			e++
		}
		switch {
		case e-p > 1 && e < hi: // \s+(?!\S)
			p = e - 1
		case e > p: // \s+
			p = e
		default:
			p++
		}
		emit(start, p)
	}
}

// splitDefault is llama.cpp's pre-tokenizer for BPE vocabularies without a
// known tokenizer.ggml.pre: four regexes applied in turn, each splitting the
// pieces of the previous one (unicode_regex_split):
//
//	[\p{P}\$\+<=>\^~\|]+
//	the GPT-2 regex
//	\p{N}+
//	[0-9][0-9][0-9]
func splitDefault(c []rune, lo, hi int, emit func(a, b int)) {
	splitRuns(c, lo, hi, isDefaultPunct, func(a, b int) {
		splitGPT2(c, a, b, func(a, b int) {
			splitRuns(c, a, b, isNumber, func(a, b int) {
				splitDigits3(c, a, b, emit)
			})
		})
	})
}

// isDefaultPunct is [\p{P}\$\+<=>\^~\|] as llama.cpp evaluates it: ASCII
// punctuation except '`' plus $+<=>^|~, and non-ASCII punctuation (P*).
func isDefaultPunct(r rune) bool {
	if r < 0x80 {
		return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '_') || (r >= '{' && r <= '~')
	}
	return unicode.IsPunct(r) && !isSpace(r)
}

// splitRuns emits each maximal run of class and each gap between runs.
func splitRuns(c []rune, lo, hi int, class func(rune) bool, emit func(a, b int)) {
	p := lo
	for p < hi {
		start := p
		in := class(c[p])
		for p < hi && class(c[p]) == in {
			p++
		}
		emit(start, p)
	}
}

// splitDigits3 emits each leftmost non-overlapping run of three ASCII digits
// and the text between them.
func splitDigits3(c []rune, lo, hi int, emit func(a, b int)) {
	isDigit := func(r rune) bool { return '0' <= r && r <= '9' }
	prev := lo
	for p := lo; p+3 <= hi; {
		if isDigit(c[p]) && isDigit(c[p+1]) && isDigit(c[p+2]) {
			if p > prev {
				emit(prev, p)
			}
			emit(p, p+3)
			p += 3
			prev = p
			continue
		}
		p++
	}
	if prev < hi {
		emit(prev, hi)
	}
}

// decodeRunes appends the code points of s to c, decoding UTF-8 the way
// llama.cpp's unicode_cpts_from_utf8 does: the lead byte fixes the length
// and only the continuation bits are checked (so overlong forms and
// surrogates pass through and are re-encoded byte for byte by appendRune);
// a byte that starts no such sequence becomes U+FFFD. llama.cpp throws on
// a 4-byte form above U+10FFFF; here its lead byte becomes U+FFFD instead.
func decodeRunes(c []rune, s string) []rune {
	cont := func(i int) bool { return i < len(s) && s[i]&0xC0 == 0x80 }
	for i := 0; i < len(s); {
		b := s[i]
		switch {
		case b < 0x80:
			c = append(c, rune(b))
			i++
			continue
		case b&0xE0 == 0xC0 && cont(i+1):
			c = append(c, rune(b&0x1F)<<6|rune(s[i+1]&0x3F))
			i += 2
			continue
		case b&0xF0 == 0xE0 && cont(i+1) && cont(i+2):
			c = append(c, rune(b&0x0F)<<12|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F))
			i += 3
			continue
		case b&0xF8 == 0xF0 && cont(i+1) && cont(i+2) && cont(i+3):
			r := rune(b&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F)
			if r <= unicode.MaxRune {
				c = append(c, r)
				i += 4
				continue
			}
		}
		c = append(c, unicode.ReplacementChar)
		i++
	}
	return c
}

// appendRune appends the UTF-8 form of r (0 <= r <= U+10FFFF, surrogates
// included, as llama.cpp's unicode_cpt_to_utf8 writes them).
func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
	return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
}
