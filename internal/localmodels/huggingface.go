package localmodels

import (
	"os"
	"path/filepath"
	"strings"
)

// The Hugging Face hub cache (huggingface_hub's file_download.py):
//
//	hub/models--ORG--NAME/blobs/ETAG                  the bytes
//	hub/models--ORG--NAME/refs/main                   a commit hash
//	hub/models--ORG--NAME/snapshots/COMMIT/PATH       symlinks to ../../blobs/ETAG
//
// Each file is listed once per blob: when several snapshots share a blob,
// the one refs/main points to is preferred, so the name carries no commit.

// huggingFace lists the .gguf files in every snapshot of every model repo.
func (f *finder) huggingFace(root string) {
	if root == "" {
		return
	}
	repos, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, r := range repos {
		name, ok := strings.CutPrefix(r.Name(), "models--")
		if !ok || !r.IsDir() {
			continue
		}
		repo := strings.ReplaceAll(name, "--", "/")
		dir := filepath.Join(root, r.Name())
		snaps, err := os.ReadDir(filepath.Join(dir, "snapshots"))
		if err != nil {
			continue
		}
		main := readRef(filepath.Join(dir, "refs", "main"))
		// The main snapshot first, so its paths win the de-duplication.
		for i, s := range snaps {
			if s.Name() == main && i > 0 {
				snaps[0], snaps[i] = snaps[i], snaps[0]
			}
		}
		for _, s := range snaps {
			snap := filepath.Join(dir, "snapshots", s.Name())
			filepath.WalkDir(snap, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".gguf") {
					return nil
				}
				rel, _ := filepath.Rel(snap, p)
				label := repo + "/" + filepath.ToSlash(rel)
				if s.Name() != main {
					label += " @" + short(s.Name())
				}
				f.add(label, HuggingFace, p)
				return nil
			})
		}
	}
}

// readRef reads a refs/ file: a commit hash on one line (capped at 128 bytes).
func readRef(p string) string {
	fh, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer fh.Close()
	b := make([]byte, 128)
	n, _ := fh.Read(b)
	return strings.TrimSpace(string(b[:n]))
}

func short(commit string) string {
	if len(commit) > 8 {
		return commit[:8]
	}
	return commit
}
