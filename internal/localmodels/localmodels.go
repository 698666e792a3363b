// Package localmodels finds the GGUF model files already on this machine,
// where the popular runners keep them: Ollama's blob store (named through its
// manifests), LM Studio's models folder, the Hugging Face hub cache
// (snapshot symlinks into blobs), llama.cpp's download cache, and folders the
// user adds.
//
// Scope: discovery only, from the directory layouts those tools write. It
// reads directory entries, small JSON manifests and the four-byte GGUF magic
// of candidate files; it never parses a model. Deliberately left out: model
// files inside archives, and runners whose store is not plain files.
//
// Security stance: the trees are the user's own but may hold anything, so a
// manifest is size-capped before it is decoded, symlinks are resolved once
// and only followed to regular files, walks have a depth limit, and a
// malformed entry is skipped and reported in Result.Problems, never fatal.
package localmodels

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Source names where a model was found.
type Source string

// The sources, in the order Find searches them: a file reachable from two
// sources (a user folder inside the Hugging Face cache, say) is listed once,
// under the first.
const (
	Ollama      Source = "Ollama"
	LMStudio    Source = "LM Studio"
	HuggingFace Source = "Hugging Face"
	LlamaCpp    Source = "llama.cpp"
	Folder      Source = "Folder"
)

// Model is one GGUF file found.
type Model struct {
	Name    string    // what people call it: "llama3.2:1b", "bartowski/Llama-3.2-1B-Instruct-GGUF/…Q4_K_M.gguf"
	Source  Source    // where it was found
	Path    string    // the path as found (a snapshot symlink, a blob, a file)
	File    string    // Path with symlinks resolved: the bytes that get verified
	Size    int64     // bytes
	ModTime time.Time // of File
}

// Roots are the directories searched; an empty field is skipped.
type Roots struct {
	Ollama      string   // the models directory: holds manifests/ and blobs/
	LMStudio    []string // models folders (new and legacy locations)
	HuggingFace string   // the hub cache: holds models--ORG--NAME/
	LlamaCpp    string   // llama.cpp's download cache
	Folders     []string // added by the user
}

// Env is the part of the environment that decides the roots, as a value so
// the rules are table-tested for every platform.
type Env struct {
	GOOS         string // runtime.GOOS
	Home         string // $HOME
	XDGCacheHome string // $XDG_CACHE_HOME
	OllamaModels string // $OLLAMA_MODELS
	HFHubCache   string // $HF_HUB_CACHE
	HFHome       string // $HF_HOME
	LlamaCache   string // $LLAMA_CACHE
}

// OSEnv reads Env from the process environment.
func OSEnv() Env {
	return Env{GOOS: runtime.GOOS, Home: os.Getenv("HOME"), XDGCacheHome: os.Getenv("XDG_CACHE_HOME"),
		OllamaModels: os.Getenv("OLLAMA_MODELS"), HFHubCache: os.Getenv("HF_HUB_CACHE"),
		HFHome: os.Getenv("HF_HOME"), LlamaCache: os.Getenv("LLAMA_CACHE")}
}

// DefaultRoots returns where each tool keeps its models, following each
// tool's own rules:
//   - Ollama: $OLLAMA_MODELS, else ~/.ollama/models (macOS and a user's Linux
//     install; the Linux system service's /usr/share/ollama is not the
//     user's and is left to Folders).
//   - LM Studio: ~/.lmstudio/models (0.3 and later) and the legacy
//     ~/.cache/lm-studio/models.
//   - Hugging Face: $HF_HUB_CACHE, else $HF_HOME/hub, else
//     $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
//     (huggingface_hub's constants; the same on macOS).
//   - llama.cpp: $LLAMA_CACHE, else ~/Library/Caches/llama.cpp on macOS and
//     $XDG_CACHE_HOME/llama.cpp or ~/.cache/llama.cpp elsewhere.
//
// Relative values are ignored, as the XDG spec asks for XDG variables.
func DefaultRoots(e Env) Roots {
	home := abs(e.Home)
	under := func(parts ...string) string {
		if home == "" {
			return ""
		}
		return filepath.Join(append([]string{home}, parts...)...)
	}
	cache := abs(e.XDGCacheHome)
	if cache == "" {
		cache = under(".cache")
	}
	var r Roots
	if r.Ollama = abs(e.OllamaModels); r.Ollama == "" {
		r.Ollama = under(".ollama", "models")
	}
	if home != "" {
		r.LMStudio = []string{under(".lmstudio", "models"), under(".cache", "lm-studio", "models")}
	}
	switch {
	case abs(e.HFHubCache) != "":
		r.HuggingFace = abs(e.HFHubCache)
	case abs(e.HFHome) != "":
		r.HuggingFace = filepath.Join(abs(e.HFHome), "hub")
	case cache != "":
		r.HuggingFace = filepath.Join(cache, "huggingface", "hub")
	}
	switch {
	case abs(e.LlamaCache) != "":
		r.LlamaCpp = abs(e.LlamaCache)
	case e.GOOS == "darwin" && home != "":
		r.LlamaCpp = under("Library", "Caches", "llama.cpp")
	case cache != "":
		r.LlamaCpp = filepath.Join(cache, "llama.cpp")
	}
	return r
}

func abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return ""
}

// Result is what Find found.
type Result struct {
	Models []Model
	// Problems lists entries that looked like models but could not be
	// used (a manifest that does not parse, a blob that is not GGUF), each
	// naming the file; missing roots are not problems.
	Problems []string
}

// Find searches every root and returns the models, each file once, sorted by
// source (in the order of the constants) and then by name.
func Find(r Roots) Result {
	var f finder
	f.seen = map[string]bool{}
	f.ollama(r.Ollama)
	for _, d := range r.LMStudio {
		f.walk(d, LMStudio, 4)
	}
	f.huggingFace(r.HuggingFace)
	f.walk(r.LlamaCpp, LlamaCpp, 3)
	for _, d := range r.Folders {
		f.walk(d, Folder, 6)
	}
	order := map[Source]int{Ollama: 0, LMStudio: 1, HuggingFace: 2, LlamaCpp: 3, Folder: 4}
	sort.SliceStable(f.res.Models, func(i, j int) bool {
		a, b := f.res.Models[i], f.res.Models[j]
		if a.Source != b.Source {
			return order[a.Source] < order[b.Source]
		}
		return a.Name < b.Name
	})
	return f.res
}

type finder struct {
	res  Result
	seen map[string]bool // resolved file paths already listed
}

func (f *finder) problem(format string, args ...any) {
	f.res.Problems = append(f.res.Problems, fmt.Sprintf(format, args...))
}

// add lists path under name if it is a GGUF file not listed before.
func (f *finder) add(name string, src Source, path string) {
	file, err := filepath.EvalSymlinks(path)
	if err != nil {
		f.problem("%s: %v", path, err)
		return
	}
	if f.seen[file] {
		return
	}
	st, err := os.Stat(file)
	if err != nil || !st.Mode().IsRegular() {
		return
	}
	ok, err := isGGUF(file)
	if err != nil {
		f.problem("%s: %v", path, err)
		return
	}
	if !ok {
		f.problem("%s: not a GGUF file", path)
		return
	}
	f.seen[file] = true
	f.res.Models = append(f.res.Models, Model{Name: name, Source: src, Path: path, File: file, Size: st.Size(), ModTime: st.ModTime()})
}

// isGGUF reads the file's magic.
func isGGUF(path string) (bool, error) {
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	var magic [4]byte
	n, _ := fh.Read(magic[:])
	return n == 4 && string(magic[:]) == "GGUF", nil
}

// walk lists every *.gguf under dir, to depth levels below it. Symlinked
// files are followed; symlinked directories are not (no cycles).
func (f *finder) walk(dir string, src Source, depth int) {
	if dir == "" {
		return
	}
	base := strings.Count(filepath.Clean(dir), string(filepath.Separator))
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if p != dir {
				f.problem("%s: %v", p, err)
			}
			return nil
		}
		if d.IsDir() {
			if strings.Count(p, string(filepath.Separator))-base >= depth {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.EqualFold(filepath.Ext(p), ".gguf") {
			rel, _ := filepath.Rel(dir, p)
			f.add(filepath.ToSlash(rel), src, p)
		}
		return nil
	})
}
