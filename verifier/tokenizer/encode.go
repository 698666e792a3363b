package tokenizer

import (
	"math"
	"strings"
)

// Encode tokenizes text. With addSpecial it prepends BOS and appends EOS as
// the vocabulary's add_bos_token / add_eos_token say. With parseSpecial,
// control and unknown tokens written literally in text ("<|im_start|>",
// "<s>") become their ids; user-defined tokens are split out either way.
// This is llama.cpp's llama_tokenize(text, add_special, parse_special).
//
// Any byte string is accepted. SPM keeps invalid UTF-8 bytes as byte
// tokens. Byte-level BPE first decodes the text leniently as llama.cpp does
// (see decodeRunes): each byte that starts no UTF-8 sequence is tokenized as
// U+FFFD, so such input does not round-trip through Decode.
//
// Text longer than MaxTextLen is a programmer error and panics.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	if len(text) > MaxTextLen {
		panic("tokenizer: Encode: text longer than MaxTextLen")
	}
	out := make([]int32, 0, len(text)/3+2)
	if addSpecial && t.addBOS {
		out = append(out, t.bos)
	}
	frags := t.partition(text, parseSpecial)
	switch t.family {
	case familySPM:
		s := spmSession{t: t}
		prevSpecial := true // the first fragment gets the space prefix too
		for _, f := range frags {
			if f.id >= 0 {
				out = append(out, f.id)
				prevSpecial = true
				continue
			}
			raw := f.text
			if t.addSpacePrefix && prevSpecial {
				raw = " " + raw
			}
			out = s.encode(strings.ReplaceAll(raw, " ", "▁"), out)
			prevSpecial = false
		}
	case familyBPE:
		s := bpeSession{t: t}
		for _, f := range frags {
			if f.id >= 0 {
				out = append(out, f.id)
				continue
			}
			out = s.encode(f.text, out)
		}
	}
	if addSpecial && t.addEOS {
		out = append(out, t.eos)
	}
	return out
}

// MaxTextLen bounds Encode's input so that every offset fits an int32,
// even after byte-level BPE expands a byte to up to 6 (U+FFFD, mapped).
const MaxTextLen = 1 << 28

// fragment is a piece of the input: raw text (id < 0) or a special token.
type fragment struct {
	id   int32
	text string
}

// partition splits the special tokens out of text (llama.cpp
// tokenizer_st_partition): for each special token, longest first, every
// occurrence in every remaining raw fragment is cut out. Control and unknown
// tokens take part only when parseSpecial is set.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{id: -1, text: text}}
	var next []fragment
	for _, id := range t.specials {
		if !parseSpecial && t.attrs[id]&(attrControl|attrUnknown) != 0 {
			continue
		}
		tok := t.tokens[id]
		found := false
		for _, f := range frags {
			if f.id < 0 && strings.Contains(f.text, tok) {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		next = next[:0]
		for _, f := range frags {
			if f.id >= 0 {
				next = append(next, f)
				continue
			}
			s := f.text
			for {
				i := strings.Index(s, tok)
				if i < 0 {
					break
				}
				if i > 0 {
					next = append(next, fragment{id: -1, text: s[:i]})
				}
				next = append(next, fragment{id: id})
				s = s[i+len(tok):]
			}
			if s != "" {
				next = append(next, fragment{id: -1, text: s})
			}
		}
		frags, next = next, frags
	}
	return frags
}

// symbol is a node of the doubly linked list of symbols being merged: the
// bytes text[start:end] of the text being tokenized. end == start once the
// symbol has been merged into its left neighbour.
type symbol struct {
	start, end int32
	prev, next int32 // -1 at the ends
	id         int32 // BPE: the token id of the text, -1 if it is not a token
}

// utf8Len is the length of the UTF-8 sequence a lead byte announces, as
// llama.cpp's unicode_len_utf8 (continuation bytes count as 1).
func utf8Len(b byte) int {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// splitSymbols resets syms to one symbol per UTF-8 character of text.
func splitSymbols(syms []symbol, text string) []symbol {
	syms = syms[:0]
	for i := 0; i < len(text); {
		n := min(utf8Len(text[i]), len(text)-i)
		k := int32(len(syms))
		syms = append(syms, symbol{start: int32(i), end: int32(i + n), prev: k - 1, next: k + 1})
		i += n
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// mergeRight merges symbol r into its left neighbour l.
func mergeRight(syms []symbol, l, r int32) {
	syms[l].end = syms[r].end
	syms[r].end = syms[r].start
	syms[l].next = syms[r].next
	if n := syms[r].next; n >= 0 {
		syms[n].prev = l
	}
}

// spmSession holds the scratch space of one SentencePiece encoding
// (llama.cpp llm_tokenizer_spm_session).
type spmSession struct {
	t    *Tokenizer
	syms []symbol
	q    heap[spmBigram]
}

// spmBigram is a candidate merge of syms[left] and syms[right]; size is
// their combined length when it was queued, to detect stale entries.
type spmBigram struct {
	left, right int32
	size        int32
}

// spmKey orders the queue: highest score first, then leftmost. The float
// bits are mapped to an unsigned integer of the same order, then inverted.
func spmKey(score float32, left int32) uint64 {
	if score == 0 {
		score = 0 // -0 ties with +0, as in llama.cpp's comparison
	}
	u := math.Float32bits(score)
	if u&(1<<31) != 0 {
		u = ^u
	} else {
		u |= 1 << 31
	}
	return uint64(^u)<<32 | uint64(uint32(left))
}

// encode appends the tokens of text (spaces already escaped to '▁').
func (s *spmSession) encode(text string, out []int32) []int32 {
	s.syms = splitSymbols(s.syms, text)
	s.q.reset()
	for i := 1; i < len(s.syms); i++ {
		s.tryAdd(text, int32(i-1), int32(i))
	}
	for s.q.len() > 0 {
		b := s.q.pop()
		l, r := &s.syms[b.left], &s.syms[b.right]
		ln, rn := l.end-l.start, r.end-r.start
		if ln == 0 || rn == 0 || ln+rn != b.size {
			continue // one side was merged since this entry was queued
		}
		mergeRight(s.syms, b.left, b.right)
		s.tryAdd(text, s.syms[b.left].prev, b.left)
		s.tryAdd(text, b.left, s.syms[b.left].next)
	}
	t := s.t
	for i := int32(0); len(s.syms) > 0 && i != -1; i = s.syms[i].next {
		sym := s.syms[i]
		piece := text[sym.start:sym.end]
		if id, ok := t.ids[piece]; ok {
			out = append(out, id)
			continue
		}
		// Not a token: byte fallback (merged symbols are always tokens, so
		// this is a single character).
		for j := 0; j < len(piece); j++ {
			if id := t.byteTok[piece[j]]; id >= 0 {
				out = append(out, id)
			} else if t.unk >= 0 {
				out = append(out, t.unk)
			}
		}
	}
	return out
}

// tryAdd queues the merge of symbols l and r if their concatenation is a
// token, scored by that token's score.
func (s *spmSession) tryAdd(text string, l, r int32) {
	if l < 0 || r < 0 {
		return
	}
	a, b := s.syms[l], s.syms[r]
	id, ok := s.t.ids[text[a.start:b.end]]
	if !ok {
		return
	}
	var score float32
	if s.t.scores != nil {
		score = s.t.scores[id]
	}
	s.q.push(spmKey(score, l), spmBigram{left: l, right: r, size: b.end - a.start})
}

// bpeSession holds the scratch space of one byte-level BPE encoding
// (llama.cpp llm_tokenizer_bpe_session).
type bpeSession struct {
	t     *Tokenizer
	cpts  []rune
	buf   []byte
	utf   []byte
	syms  []symbol
	q     heap[bpeBigram]
	words []int32 // pre-token boundaries: pairs (start, end) into cpts
}

// bpeBigram is a candidate merge; ln and rn are the symbol lengths when it
// was queued, to detect stale entries, and id the token it makes (-1 if
// none). Its queue key orders lowest merge rank first, then leftmost.
type bpeBigram struct {
	left, right int32
	ln, rn      int32
	id          int32
}

// encode pre-tokenizes text and appends the tokens of each piece.
func (s *bpeSession) encode(text string, out []int32) []int32 {
	s.cpts = decodeRunes(s.cpts[:0], text)
	s.words = s.words[:0]
	s.t.split(s.cpts, 0, len(s.cpts), func(a, b int) {
		s.words = append(s.words, int32(a), int32(b))
	})
	for i := 0; i < len(s.words); i += 2 {
		out = s.word(s.cpts[s.words[i]:s.words[i+1]], out)
	}
	return out
}

// word appends the tokens of one pre-token: its UTF-8 bytes are mapped
// through bytes_to_unicode, then merged by rank.
func (s *bpeSession) word(c []rune, out []int32) []int32 {
	s.utf = s.utf[:0]
	for _, r := range c {
		s.utf = appendRune(s.utf, r)
	}
	s.buf = s.buf[:0]
	for _, b := range s.utf {
		s.buf = append(s.buf, byteEnc[b]...)
	}
	t := s.t
	if t.ignoreMerges {
		if id, ok := t.ids[string(s.buf)]; ok {
			return append(out, id)
		}
	}
	w := string(s.buf)
	s.syms = splitSymbols(s.syms, w)
	for i := range s.syms {
		s.syms[i].id = -1
		if id, ok := t.ids[w[s.syms[i].start:s.syms[i].end]]; ok {
			s.syms[i].id = id
		}
	}
	s.q.reset()
	for i := 1; i < len(s.syms); i++ {
		s.tryAdd(w, int32(i-1), int32(i))
	}
	for s.q.len() > 0 {
		b := s.q.pop()
		l, r := &s.syms[b.left], &s.syms[b.right]
		if l.end-l.start != b.ln || r.end-r.start != b.rn || b.ln == 0 || b.rn == 0 {
			continue // stale: a side was merged since this entry was queued
		}
		mergeRight(s.syms, b.left, b.right)
		s.syms[b.left].id = b.id
		s.tryAdd(w, s.syms[b.left].prev, b.left)
		s.tryAdd(w, b.left, s.syms[b.left].next)
	}
	for i := int32(0); len(s.syms) > 0 && i != -1; i = s.syms[i].next {
		if id := s.syms[i].id; id >= 0 {
			out = append(out, id)
			continue
		}
		piece := w[s.syms[i].start:s.syms[i].end]
		// llama.cpp's fallback: look each byte up as a one-byte token; bytes
		// without one are dropped. Only malformed vocabularies get here.
		for j := 0; j < len(piece); j++ {
			if id, ok := t.ids[piece[j:j+1]]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// tryAdd queues the merge of symbols l and r if it is a known merge.
func (s *bpeSession) tryAdd(w string, l, r int32) {
	if l < 0 || r < 0 {
		return
	}
	t := s.t
	a, b := s.syms[l], s.syms[r]
	bg := bpeBigram{left: l, right: r, ln: a.end - a.start, rn: b.end - b.start}
	if a.id >= 0 && b.id >= 0 {
		if m, ok := t.merges[mergeKey(a.id, b.id)]; ok {
			bg.id = m.id
			s.q.push(uint64(m.rank)<<32|uint64(l), bg)
			return
		}
	}
	if len(t.slowRanks) == 0 {
		return
	}
	rank, ok := t.slowRanks[pair{w[a.start:a.end], w[b.start:b.end]}]
	if !ok {
		return
	}
	bg.id = -1
	if id, ok := t.ids[w[a.start:b.end]]; ok {
		bg.id = id
	}
	s.q.push(uint64(rank)<<32|uint64(l), bg)
}

// heap is a binary min-heap of values ordered by a 64-bit key.
type heap[T any] struct{ a []heapItem[T] }

type heapItem[T any] struct {
	key uint64
	v   T
}

func (h *heap[T]) len() int { return len(h.a) }
func (h *heap[T]) reset()   { h.a = h.a[:0] }

func (h *heap[T]) push(key uint64, v T) {
	h.a = append(h.a, heapItem[T]{key, v})
	a := h.a
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].key <= a[i].key {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *heap[T]) pop() T {
	a := h.a
	top := a[0].v
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	h.a = a
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l].key < a[m].key {
			m = l
		}
		if r := l + 1; r < n && a[r].key < a[m].key {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	return top
}
