package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// filesDomain prefixes the digest of a multi-file model's file list.
const filesDomain = "pot-identity/2 files\x00"

// hashComposed computes the digests of a composed File (a model that is
// not one GGUF file): each source file's SHA-256 and, concurrently, each
// tensor's (its bytes as the File presents them) and the data digest.
// FileSHA256 digests the list of files: the domain, then per file (in
// f.Sources order) its base name, size and digest, each length-prefixed or
// fixed-size. FileSize is the files' total size.
func (id *Identity) hashComposed(f *gguf.File, opt Options) error {
	var total int64
	for _, p := range f.Sources {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		total += st.Size()
	}
	id.FileSize, id.GGUFVersion = total, 0
	// Three passes run concurrently (files, data section, tensors), each a
	// SHA-256 stream of its own, as hashData does for a GGUF file.
	var wg sync.WaitGroup
	wg.Go(func() {
		dataH := sha256.New()
		for i := range f.Tensors {
			dataH.Write(f.TensorData(&f.Tensors[i]))
		}
		id.DataSHA256 = hex.EncodeToString(dataH.Sum(nil))
	})
	if opt.PerTensor {
		wg.Go(func() {
			for i := range f.Tensors {
				sum := sha256.Sum256(f.TensorData(&f.Tensors[i]))
				id.Tensors[i].SHA256 = hex.EncodeToString(sum[:])
			}
		})
	}
	err := id.hashFiles(f.Sources, total, opt.Progress)
	wg.Wait()
	if err != nil {
		return err
	}
	listH := sha256.New()
	io.WriteString(listH, filesDomain)
	for _, fd := range id.Files {
		io.WriteString(listH, strconv.Itoa(len(fd.Name))+":"+fd.Name+" "+strconv.FormatInt(fd.Size, 10)+" "+fd.SHA256+"\n")
	}
	id.FileSHA256 = hex.EncodeToString(listH.Sum(nil))
	return nil
}

// hashFiles digests each file in chunks, reporting progress over all.
func (id *Identity) hashFiles(paths []string, total int64, progress func(done, total int64)) error {
	var done int64
	buf := make([]byte, 1<<20)
	for _, p := range paths {
		fd, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		h := sha256.New()
		var n int64
		for {
			k, err := fd.Read(buf)
			h.Write(buf[:k])
			n += int64(k)
			done += int64(k)
			if progress != nil && k > 0 && (done%int64(chunkSize) < int64(k) || done == total) {
				progress(done, total)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				fd.Close()
				return fmt.Errorf("identity: %s: %w", p, err)
			}
		}
		fd.Close()
		id.Files = append(id.Files, FileDigest{Name: filepath.Base(p), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return nil
}
