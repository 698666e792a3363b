package localmodels

import (
	"encoding/json"
	"fmt"
	"github.com/proof-of-training/pot/internal/atomicfile"
	"os"
	"path/filepath"
	"strings"
)

// Ollama's store (see ollama's server/manifest.go and types/model/name.go):
//
//	models/manifests/HOST/NAMESPACE/MODEL/TAG   JSON manifest
//	models/blobs/sha256-HEX                     content-addressed layers
//
// A manifest lists layers with a media type and a digest "sha256:HEX"; the
// weights are the layer of type application/vnd.ollama.image.model. Older
// stores named blobs "sha256:HEX".
const (
	ollamaModelLayer  = "application/vnd.ollama.image.model"
	ollamaDefaultHost = "registry.ollama.ai"
	ollamaDefaultNS   = "library"
	// maxManifest caps a manifest read: real ones are under 2 KiB.
	maxManifest = 1 << 20
)

type ollamaManifest struct {
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	} `json:"layers"`
}

// ollama lists the model layer of every manifest under root/manifests.
func (f *finder) ollama(root string) {
	if root == "" {
		return
	}
	dir := filepath.Join(root, "manifests")
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 { // HOST/NAMESPACE/MODEL/TAG
			return nil
		}
		blob, err := ollamaBlob(root, p)
		if err != nil {
			f.problem("ollama manifest %s: %v", p, err)
			return nil
		}
		if blob != "" {
			f.add(ollamaName(parts), Ollama, blob)
		}
		return nil
	})
}

// ollamaBlob returns the path of the manifest's model layer, or "" if it
// has none (an embedding-only or adapter manifest).
func ollamaBlob(root, manifest string) (string, error) {
	b, err := atomicfile.ReadFile(manifest, maxManifest)
	if err != nil {
		return "", err
	}
	var m ollamaManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("not a manifest: %v", err)
	}
	for _, l := range m.Layers {
		if l.MediaType != ollamaModelLayer {
			continue
		}
		hex, ok := strings.CutPrefix(l.Digest, "sha256:")
		if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
			return "", fmt.Errorf("model layer digest %q is not sha256:HEX", l.Digest)
		}
		for _, name := range []string{"sha256-" + hex, "sha256:" + hex} {
			p := filepath.Join(root, "blobs", name)
			if _, err := os.Lstat(p); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("blob sha256-%s is missing", hex[:12])
	}
	return "", nil
}

// ollamaName is the name `ollama list` shows: "MODEL:TAG" in the default
// registry and namespace, "NAMESPACE/MODEL:TAG" in another namespace, and
// "HOST/NAMESPACE/MODEL:TAG" on another host (hf.co/…).
func ollamaName(p []string) string {
	switch {
	case p[0] != ollamaDefaultHost:
		return p[0] + "/" + p[1] + "/" + p[2] + ":" + p[3]
	case p[1] != ollamaDefaultNS:
		return p[1] + "/" + p[2] + ":" + p[3]
	}
	return p[2] + ":" + p[3]
}
