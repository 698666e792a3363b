package main

import (
	"bytes"
	"crypto/sha256"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Code-signature constants (Apple's xnu osfmk/kern/cs_blobs.h).
const (
	lcCodeSignature    = 0x1d
	csMagicEmbedded    = 0xfade0cc0 // SuperBlob of an embedded signature
	csMagicCodeDir     = 0xfade0c02
	csSlotCodeDir      = 0
	csAdhoc            = 0x2
	csHashTypeSHA256   = 2
	cdMinLength        = 44 // through pageSize
	cdIdentOffsetField = 20
)

// Check inspects a bundle as a Mac would need it: a valid Info.plist; the
// executable it names, universal with exactly arm64 and x86_64 slices,
// linking only system libraries, each slice carrying an ad-hoc code
// signature whose page hashes match the slice; and the icon file. It
// returns a one-line summary.
func Check(app string) (string, error) {
	info, _, err := readPlist(filepath.Join(app, "Contents/Info.plist"))
	if err != nil {
		return "", err
	}
	exe := filepath.Join(app, "Contents/MacOS", info.Executable)
	st, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	if st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not executable", exe)
	}
	arches, err := checkExecutable(exe, info.Identifier)
	if err != nil {
		return "", fmt.Errorf("%s: %w", exe, err)
	}
	icon := info.IconFile
	if filepath.Ext(icon) == "" {
		icon += ".icns"
	}
	n, err := checkIcns(filepath.Join(app, "Contents/Resources", icon))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s (%s): %s, ad-hoc signed (%s); %s with %d images",
		info.Name, info.ShortVersion, info.Identifier, strings.Join(arches, "+"), exe, icon, n), nil
}

// checkExecutable checks the fat file's slices, signed with identifier
// id; it returns their names.
func checkExecutable(path, id string) ([]string, error) {
	ff, err := macho.OpenFat(path)
	if err != nil {
		return nil, err
	}
	defer ff.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	want := map[macho.Cpu]bool{macho.CpuArm64: true, macho.CpuAmd64: true}
	var names []string
	for _, a := range ff.Arches {
		if !want[a.Cpu] {
			return nil, fmt.Errorf("unexpected or repeated slice %s", a.Cpu)
		}
		delete(want, a.Cpu)
		names = append(names, map[macho.Cpu]string{macho.CpuArm64: "arm64", macho.CpuAmd64: "x86_64"}[a.Cpu])
		libs, err := a.ImportedLibraries()
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			if !strings.HasPrefix(l, "/usr/lib/") && !strings.HasPrefix(l, "/System/Library/") {
				return nil, fmt.Errorf("%s slice links a non-system library %s", a.Cpu, l)
			}
		}
		if int64(a.Offset)+int64(a.Size) > int64(len(raw)) {
			return nil, fmt.Errorf("%s slice lies outside the file", a.Cpu)
		}
		ident, err := checkSignature(a.File, raw[a.Offset:a.Offset+a.Size])
		if err != nil {
			return nil, fmt.Errorf("%s slice: %w", a.Cpu, err)
		}
		if ident != id {
			return nil, fmt.Errorf("%s slice: signed as %q, the bundle is %q", a.Cpu, ident, id)
		}
	}
	if len(want) > 0 {
		return nil, fmt.Errorf("missing slices: %d of arm64, x86_64", len(want))
	}
	return names, nil
}

// checkSignature finds LC_CODE_SIGNATURE, parses the SuperBlob's
// CodeDirectory, requires the ad-hoc flag and SHA-256, and recomputes the
// hash of every code page up to codeLimit. It returns the signing
// identifier.
func checkSignature(f *macho.File, slice []byte) (string, error) {
	var off, size uint32
	for _, l := range f.Loads {
		b := l.Raw()
		if len(b) >= 16 && f.ByteOrder.Uint32(b) == lcCodeSignature {
			off, size = f.ByteOrder.Uint32(b[8:]), f.ByteOrder.Uint32(b[12:])
		}
	}
	if size == 0 {
		return "", errors.New("no code signature (LC_CODE_SIGNATURE)")
	}
	if uint64(off)+uint64(size) > uint64(len(slice)) {
		return "", errors.New("code signature outside the slice")
	}
	sig := slice[off : off+size]
	be := binary.BigEndian
	if len(sig) < 12 || be.Uint32(sig) != csMagicEmbedded {
		return "", errors.New("code signature: not an embedded-signature SuperBlob")
	}
	count := be.Uint32(sig[8:])
	var cd []byte
	for i := range count {
		e := 12 + 8*int(i)
		if e+8 > len(sig) {
			return "", errors.New("code signature: index past its end")
		}
		if be.Uint32(sig[e:]) == csSlotCodeDir {
			o := be.Uint32(sig[e+4:])
			if uint64(o)+8 > uint64(len(sig)) {
				return "", errors.New("code signature: code directory outside it")
			}
			cd = sig[o:]
		}
	}
	if len(cd) < cdMinLength || be.Uint32(cd) != csMagicCodeDir || int(be.Uint32(cd[4:])) > len(cd) {
		return "", errors.New("code signature: no code directory")
	}
	cd = cd[:be.Uint32(cd[4:])]
	flags, hashOff, nCode, codeLimit := be.Uint32(cd[12:]), be.Uint32(cd[16:]), be.Uint32(cd[28:]), be.Uint32(cd[32:])
	hashSize, hashType, pageShift := int(cd[36]), cd[37], cd[39]
	if flags&csAdhoc == 0 {
		return "", fmt.Errorf("code signature: not ad-hoc (flags %#x)", flags)
	}
	if hashType != csHashTypeSHA256 || hashSize != sha256.Size || pageShift < 9 || pageShift > 16 {
		return "", fmt.Errorf("code signature: hash type %d size %d page 2^%d", hashType, hashSize, pageShift)
	}
	if codeLimit != off {
		return "", fmt.Errorf("code signature covers %d bytes, the signature starts at %d", codeLimit, off)
	}
	page := 1 << pageShift
	if want := (int(codeLimit) + page - 1) / page; int(nCode) != want || int(hashOff)+want*hashSize > len(cd) {
		return "", fmt.Errorf("code signature: %d page hashes for %d bytes", nCode, codeLimit)
	}
	for i := range int(nCode) {
		h := sha256.Sum256(slice[i*page : min((i+1)*page, int(codeLimit))])
		if !bytes.Equal(h[:], cd[int(hashOff)+i*hashSize:][:hashSize]) {
			return "", fmt.Errorf("code signature: page %d does not match its hash", i)
		}
	}
	identOff := be.Uint32(cd[cdIdentOffsetField:])
	if int(identOff) >= len(cd) {
		return "", errors.New("code signature: identifier outside the code directory")
	}
	ident, _, ok := bytes.Cut(cd[identOff:], []byte{0})
	if !ok {
		return "", errors.New("code signature: unterminated identifier")
	}
	return string(ident), nil
}

// checkIcns checks an .icns file: its header length, and a PNG in every
// entry; it returns the number of entries.
func checkIcns(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) < 8 || string(b[:4]) != "icns" || int(binary.BigEndian.Uint32(b[4:])) != len(b) {
		return 0, fmt.Errorf("%s: not an icns file", path)
	}
	n := 0
	for p := 8; p < len(b); n++ {
		if p+8 > len(b) {
			return 0, fmt.Errorf("%s: truncated entry at %d", path, p)
		}
		l := int(binary.BigEndian.Uint32(b[p+4:]))
		if l < 16 || p+l > len(b) || !bytes.HasPrefix(b[p+8:p+l], pngMagic) {
			return 0, fmt.Errorf("%s: bad %q entry at %d", path, b[p:p+4], p)
		}
		p += l
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: no images", path)
	}
	return n, nil
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")
