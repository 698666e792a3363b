// Package hfmodel reads a Hugging Face model directory (config.json,
// model.safetensors or shards with model.safetensors.index.json,
// tokenizer.model or tokenizer.json, tokenizer_config.json) and presents it
// as the GGUF file llama.cpp's convert_hf_to_gguf.py would write from it,
// so that every part of PoT that takes a GGUF reference (identity, model,
// tokenizer, engine, weights, fingerprints) takes the publisher's own
// release unchanged: Open returns a *gguf.File built with gguf.Compose.
//
// What "as the converter writes it" means, checked against llama.cpp's own
// conversions of the shared test directories (hf/expected/*.gguf): the
// same metadata for every non-cosmetic key (hyper-parameters from
// config.json; tokenizer.ggml.* from the tokenizer files, with gguf-py's
// SpecialVocab rules for special ids, add_bos/add_eos and the chat
// template), the same tensor names, shapes and order, and the same bytes:
// llama's q/k rows permuted as LlamaModel.permute does, 1-D tensors
// widened to F32, Llama 3's rope_freqs computed as generate_extra_tensors
// does. So the tokenizer, chat-template and metadata digests of a
// directory equal those of its conversion, and a faithful GGUF passes those
// checks.
//
// Scope: the llama (Llama 2/3, Mistral-style) and qwen2 (Qwen2/2.5)
// architectures; F32, F16 and BF16 checkpoints, kept at their precision
// (the converter's --outtype matching the checkpoint); SentencePiece
// tokenizer.model and byte-level BPE tokenizer.json whose pre-tokenizer is
// recognised by its split regex (qwen2, llama-bpe, gpt-2; llama.cpp hashes
// a tokenization instead, which needs the tokenizers library). Left out:
// other architectures and tokenizers (refused with ErrUnsupported naming
// them), added_tokens.json, generation_config.json's contents (the file
// is hashed but does not change what the converter writes), and imitating
// the converter's cosmetic general.* keys (name, size label).
//
// Streaming: tensor data is not copied: each tensor is a range of a
// safetensors memory map, so a reference larger than RAM is read layer by
// layer as a GGUF one is. Derived tensors (permuted q/k, widened norms)
// are computed once at Open, in memory up to 64 MiB and beyond that into
// an unlinked temporary file that is mapped the same way.
//
// Security: the directory is untrusted input. The safetensors files go
// through the strict reader of package safetensors; JSON and tokenizer
// files are size-bounded before they are read; every count and id read
// from them is range-checked before anything is allocated from it; the
// SentencePiece protobuf is parsed by a bounds-checked wire reader
// (FuzzParseSPM). Errors name the file and the problem.
package hfmodel
