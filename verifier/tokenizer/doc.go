// Package tokenizer turns text into token ids and back, exactly as
// llama.cpp does for the vocabularies stored in GGUF metadata
// (tokenizer.ggml.*).
//
// Scope: the two families PoT verifies.
//
//   - SentencePiece BPE (tokenizer.ggml.model = "llama"): Llama 1/2,
//     TinyLlama, llama2.c models. Spaces become '▁', a '▁' is prefixed when
//     add_space_prefix is set, the best-scoring adjacent pair that is a
//     vocabulary token is merged until none is left, and what remains
//     unknown falls back to byte tokens <0xXX>.
//   - Byte-level BPE (tokenizer.ggml.model = "gpt2") with the pre-tokenizers
//     "llama-bpe" (Llama 3; aliases "llama3", "llama-v3"), "qwen2" (alias
//     "deepseek-r1-qwen"), "gpt-2", and "default" or absent (llama.cpp's
//     fallback chain of four splitting rules). Text is split by a
//     hand-written equivalent of the pre-tokenizer regex, each piece is
//     mapped byte by byte through GPT-2's bytes_to_unicode table, and merges
//     are applied by lowest rank.
//
// The reference is llama.cpp src/llama-vocab.cpp and src/unicode.cpp
// (https://github.com/ggml-org/llama.cpp), snapshot c392e50 as used for the
// shared test vectors; the code here is a re-implementation, not a port.
// Special tokens written literally in the text are split out first, like
// llama.cpp's tokenizer_st_partition: user-defined tokens always, control
// and unknown tokens only when parseSpecial is set.
//
// Left out: WordPiece (BERT), Unigram (T5), RWKV and the other BPE
// pre-tokenizers of llama.cpp; any other tokenizer.ggml.pre value is an
// ErrUnsupported error rather than a silent approximation. Decoding does not
// apply llama.cpp's clean_up_tokenization_spaces pass (it would break the
// decode(encode(s)) == s round trip); the per-model LSTRIP/RSTRIP attributes
// llama.cpp sets by model name (phi-3, jina) are not applied.
//
// Unicode: categories (\p{L}, \p{N}) and \s come from Go's unicode package
// (Unicode 15.0.0 in Go 1.26). llama.cpp's unicode-data.cpp is generated
// from the UCD current when it was made, which may be newer: a code point
// assigned after 15.0 (such as CJK Extension I, U+2EBF0..U+2EE5D, added in
// 15.1) is "other" here but may be a letter there, and the pre-tokenizer
// then splits text containing it differently.
//
// Security stance: vocabularies come from untrusted model files. New checks
// every cross-reference (array lengths, special ids, duplicates) and returns
// an error rather than panicking; Encode never panics, whatever the input
// bytes; Decode reports out-of-range ids as errors. Encoding is O(n log n) in
// the input length (priority queues, hash maps), so hostile prompts cannot
// trigger quadratic work.
package tokenizer
