package localmodels

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultRoots(t *testing.T) {
	tests := []struct {
		name string
		env  Env
		want Roots
	}{
		{"linux defaults", Env{GOOS: "linux", Home: "/home/u"}, Roots{
			Ollama:      "/home/u/.ollama/models",
			LMStudio:    []string{"/home/u/.lmstudio/models", "/home/u/.cache/lm-studio/models"},
			HuggingFace: "/home/u/.cache/huggingface/hub",
			LlamaCpp:    "/home/u/.cache/llama.cpp"}},
		{"macOS defaults", Env{GOOS: "darwin", Home: "/Users/u"}, Roots{
			Ollama:      "/Users/u/.ollama/models",
			LMStudio:    []string{"/Users/u/.lmstudio/models", "/Users/u/.cache/lm-studio/models"},
			HuggingFace: "/Users/u/.cache/huggingface/hub",
			LlamaCpp:    "/Users/u/Library/Caches/llama.cpp"}},
		{"variables win", Env{GOOS: "linux", Home: "/home/u", XDGCacheHome: "/c", OllamaModels: "/o",
			HFHubCache: "/hf", HFHome: "/ignored", LlamaCache: "/l"}, Roots{
			Ollama:      "/o",
			LMStudio:    []string{"/home/u/.lmstudio/models", "/home/u/.cache/lm-studio/models"},
			HuggingFace: "/hf", LlamaCpp: "/l"}},
		{"HF_HOME and XDG cache", Env{GOOS: "linux", Home: "/home/u", XDGCacheHome: "/c", HFHome: "/hfh"}, Roots{
			Ollama:      "/home/u/.ollama/models",
			LMStudio:    []string{"/home/u/.lmstudio/models", "/home/u/.cache/lm-studio/models"},
			HuggingFace: "/hfh/hub", LlamaCpp: "/c/llama.cpp"}},
		{"relative values ignored", Env{GOOS: "linux", Home: "rel", XDGCacheHome: "c", OllamaModels: "o"}, Roots{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultRoots(tt.env); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// gguf writes a file that starts with the GGUF magic.
func gguf(t *testing.T, path, body string) {
	t.Helper()
	write(t, path, "GGUF"+body)
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func manifest(layers ...string) string {
	return `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:` + strings.Repeat("c", 64) + `","size":485},` +
		`"layers":[` + strings.Join(layers, ",") + `]}`
}

func layer(mediaType, hex string) string {
	return `{"mediaType":"` + mediaType + `","digest":"sha256:` + hex + `","size":10}`
}

// TestFind lays out each tool's store as the tool writes it and checks what
// is listed, under which name, and what is reported as a problem.
func TestFind(t *testing.T) {
	root := t.TempDir()
	a, b, c := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("d", 64)

	// Ollama: two names for one blob, a namespaced model, an hf.co model
	// with an old-style blob name, a manifest without a model layer, a
	// manifest whose blob is gone, and a corrupt manifest.
	ol := filepath.Join(root, "ollama")
	gguf(t, filepath.Join(ol, "blobs", "sha256-"+a), "llama")
	write(t, filepath.Join(ol, "blobs", "sha256-"+strings.Repeat("e", 64)), "template text")
	gguf(t, filepath.Join(ol, "blobs", "sha256-"+b), "qwen")
	gguf(t, filepath.Join(ol, "blobs", "sha256:"+c), "hf")
	m := filepath.Join(ol, "manifests")
	write(t, filepath.Join(m, "registry.ollama.ai", "library", "llama3.2", "1b"),
		manifest(layer(ollamaModelLayer, a), layer("application/vnd.ollama.image.template", strings.Repeat("e", 64))))
	write(t, filepath.Join(m, "registry.ollama.ai", "library", "llama3.2", "latest"), manifest(layer(ollamaModelLayer, a)))
	write(t, filepath.Join(m, "registry.ollama.ai", "jmorgan", "qwen", "q4"), manifest(layer(ollamaModelLayer, b)))
	write(t, filepath.Join(m, "hf.co", "bartowski", "SmolLM2-GGUF", "Q8_0"), manifest(layer(ollamaModelLayer, c)))
	write(t, filepath.Join(m, "registry.ollama.ai", "library", "adapter", "latest"), manifest(layer("application/vnd.ollama.image.adapter", a)))
	write(t, filepath.Join(m, "registry.ollama.ai", "library", "gone", "latest"), manifest(layer(ollamaModelLayer, strings.Repeat("f", 64))))
	write(t, filepath.Join(m, "registry.ollama.ai", "library", "broken", "latest"), "{not json")

	// LM Studio: publisher/repo/file, plus a non-GGUF file and a fake .gguf.
	lm := filepath.Join(root, "lmstudio")
	gguf(t, filepath.Join(lm, "lmstudio-community", "Qwen2.5-0.5B-GGUF", "Qwen2.5-0.5B-Q4_K_M.gguf"), "lm")
	write(t, filepath.Join(lm, "lmstudio-community", "Qwen2.5-0.5B-GGUF", "README.md"), "# hi")
	write(t, filepath.Join(lm, "x", "y", "fake.gguf"), "not a model")

	// Hugging Face: blobs, refs/main, two snapshots sharing one blob and
	// one file only in the old snapshot.
	hf := filepath.Join(root, "hub")
	repo := filepath.Join(hf, "models--TheBloke--TinyLlama-GGUF")
	gguf(t, filepath.Join(repo, "blobs", "etag1"), "tiny")
	gguf(t, filepath.Join(repo, "blobs", "etag2"), "tiny old q2")
	write(t, filepath.Join(repo, "refs", "main"), "1111111111111111111111111111111111111111\n")
	symlink(t, "../../blobs/etag1", filepath.Join(repo, "snapshots", "0000000000000000000000000000000000000000", "tiny.Q4_K_M.gguf"))
	symlink(t, "../../blobs/etag2", filepath.Join(repo, "snapshots", "0000000000000000000000000000000000000000", "tiny.Q2_K.gguf"))
	symlink(t, "../../blobs/etag1", filepath.Join(repo, "snapshots", "1111111111111111111111111111111111111111", "tiny.Q4_K_M.gguf"))
	write(t, filepath.Join(hf, "datasets--x--y", "blobs", "z"), "GGUF")

	// llama.cpp's cache: flat files with .json etag sidecars.
	lc := filepath.Join(root, "llama.cpp")
	gguf(t, filepath.Join(lc, "ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf"), "gemma")
	write(t, filepath.Join(lc, "ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf.json"), "{}")

	// A user folder that also contains a symlink into the HF cache (listed
	// once, under Hugging Face).
	uf := filepath.Join(root, "mine")
	gguf(t, filepath.Join(uf, "finetune.gguf"), "mine")
	symlink(t, filepath.Join(repo, "blobs", "etag1"), filepath.Join(uf, "link.gguf"))

	res := Find(Roots{Ollama: ol, LMStudio: []string{lm, filepath.Join(root, "absent")}, HuggingFace: hf,
		LlamaCpp: lc, Folders: []string{uf}})

	type row struct {
		Source Source
		Name   string
		File   string
	}
	var got []row
	for _, m := range res.Models {
		rel, _ := filepath.Rel(root, m.File)
		got = append(got, row{m.Source, m.Name, filepath.ToSlash(rel)})
		if m.Size == 0 || m.ModTime.IsZero() {
			t.Errorf("%s: size %d, mtime %v", m.Name, m.Size, m.ModTime)
		}
	}
	want := []row{
		{Ollama, "hf.co/bartowski/SmolLM2-GGUF:Q8_0", "ollama/blobs/sha256:" + c},
		{Ollama, "jmorgan/qwen:q4", "ollama/blobs/sha256-" + b},
		{Ollama, "llama3.2:1b", "ollama/blobs/sha256-" + a},
		{LMStudio, "lmstudio-community/Qwen2.5-0.5B-GGUF/Qwen2.5-0.5B-Q4_K_M.gguf", "lmstudio/lmstudio-community/Qwen2.5-0.5B-GGUF/Qwen2.5-0.5B-Q4_K_M.gguf"},
		{HuggingFace, "TheBloke/TinyLlama-GGUF/tiny.Q2_K.gguf @00000000", "hub/models--TheBloke--TinyLlama-GGUF/blobs/etag2"},
		{HuggingFace, "TheBloke/TinyLlama-GGUF/tiny.Q4_K_M.gguf", "hub/models--TheBloke--TinyLlama-GGUF/blobs/etag1"},
		{LlamaCpp, "ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf", "llama.cpp/ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf"},
		{Folder, "finetune.gguf", "mine/finetune.gguf"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("models:\n got  %v\n want %v", got, want)
	}
	problems := strings.Join(res.Problems, "\n")
	for _, p := range []string{"library/gone/latest: blob sha256-ffffffffffff is missing", "library/broken/latest: not a manifest", "fake.gguf: not a GGUF file"} {
		if !strings.Contains(problems, p) {
			t.Errorf("problems lack %q:\n%s", p, problems)
		}
	}
	if len(res.Problems) != 3 {
		t.Errorf("%d problems, want 3:\n%s", len(res.Problems), problems)
	}
}

// TestFindHostile: a huge manifest and a bad digest are problems, not
// allocations or panics.
func TestFindHostile(t *testing.T) {
	ol := t.TempDir()
	m := filepath.Join(ol, "manifests", "registry.ollama.ai", "library")
	write(t, filepath.Join(m, "huge", "latest"), strings.Repeat(" ", maxManifest+1))
	write(t, filepath.Join(m, "evil", "latest"), manifest(layer(ollamaModelLayer, "../../../../etc/passwd")))
	res := Find(Roots{Ollama: ol})
	if len(res.Models) != 0 || len(res.Problems) != 2 {
		t.Fatalf("models %v, problems %q", res.Models, res.Problems)
	}
	for _, p := range res.Problems {
		if !strings.Contains(p, "larger than") && !strings.Contains(p, "is not sha256:HEX") {
			t.Errorf("unexpected problem %q", p)
		}
	}
}
