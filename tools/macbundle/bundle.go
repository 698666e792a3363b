package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	macholibre "github.com/anchore/go-macholibre"
	"github.com/anchore/quill/quill"
	"howett.net/plist"
)

// Options configures Build.
type Options struct {
	Out          string // the .app directory to create (replaced if it exists)
	ARM64, AMD64 string // the two darwin executables
	Plist        string // Info.plist; CFBundleExecutable names the executable
	Icons        string // directory with AppIcon_<n>.png and StatusTemplate*.png; "" for none
}

// Build assembles the bundle: Contents/Info.plist, Contents/MacOS/<exe>
// (universal, each slice ad-hoc signed with the bundle id as identifier)
// and Contents/Resources (AppIcon.icns, the status-bar template images).
// It writes into a temporary directory beside Out and renames it into
// place, so a failed build leaves no half-made bundle.
func Build(o Options) error {
	info, raw, err := readPlist(o.Plist)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(o.Out), ".macbundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	app := filepath.Join(tmp, filepath.Base(o.Out))
	for _, d := range []string{"Contents/MacOS", "Contents/Resources"} {
		if err := os.MkdirAll(filepath.Join(app, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(app, "Contents/Info.plist"), raw, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(app, "Contents/PkgInfo"), []byte("APPL????"), 0o644); err != nil {
		return err
	}
	exe := filepath.Join(app, "Contents/MacOS", info.Executable)
	if err := universal(exe, info.Identifier, tmp, o.ARM64, o.AMD64); err != nil {
		return err
	}
	if o.Icons != "" {
		if err := installIcons(o.Icons, filepath.Join(app, "Contents/Resources"), info.IconFile); err != nil {
			return err
		}
	}
	if _, err := Check(app); err != nil {
		return fmt.Errorf("the bundle built does not pass its check: %w", err)
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return err
	}
	return os.Rename(app, o.Out)
}

// universal signs copies of the slices (ad-hoc, identifier id) and joins
// them into one fat executable at exe.
func universal(exe, id, tmp string, slices ...string) error {
	var signed []string
	for i, s := range slices {
		if s == "" {
			return fmt.Errorf("both -arm64 and -amd64 executables are needed")
		}
		c := filepath.Join(tmp, fmt.Sprintf("slice%d", i))
		if err := copyFile(c, s, 0o755); err != nil {
			return err
		}
		cfg, err := quill.NewSigningConfigFromPEMs(c, "", "", "", false) // no certificate: ad-hoc
		if err != nil {
			return fmt.Errorf("signing %s: %w", s, err)
		}
		if err := quill.Sign(*cfg.WithIdentity(id)); err != nil {
			return fmt.Errorf("signing %s: %w", s, err)
		}
		signed = append(signed, c)
	}
	if err := macholibre.Package(exe, signed...); err != nil {
		return fmt.Errorf("making the universal binary: %w", err)
	}
	return os.Chmod(exe, 0o755)
}

func copyFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// plistInfo are the Info.plist keys the bundle depends on.
type plistInfo struct {
	Identifier    string    `plist:"CFBundleIdentifier"`
	Name          string    `plist:"CFBundleName"`
	Executable    string    `plist:"CFBundleExecutable"`
	PackageType   string    `plist:"CFBundlePackageType"`
	InfoVersion   string    `plist:"CFBundleInfoDictionaryVersion"`
	ShortVersion  string    `plist:"CFBundleShortVersionString"`
	Version       string    `plist:"CFBundleVersion"`
	MinimumOS     string    `plist:"LSMinimumSystemVersion"`
	UIElement     bool      `plist:"LSUIElement"`
	IconFile      string    `plist:"CFBundleIconFile"`
	DocumentTypes []docType `plist:"CFBundleDocumentTypes"`
}

type docType struct {
	Name       string   `plist:"CFBundleTypeName"`
	Role       string   `plist:"CFBundleTypeRole"`
	Extensions []string `plist:"CFBundleTypeExtensions"`
}

// readPlist reads and validates an Info.plist: it must parse, be an XML
// plist, and carry every key a menu-bar app that opens .gguf files needs.
func readPlist(path string) (plistInfo, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return plistInfo{}, nil, err
	}
	info, err := parsePlist(raw)
	if err != nil {
		return plistInfo{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return info, raw, nil
}

func parsePlist(raw []byte) (plistInfo, error) {
	var info plistInfo
	format, err := plist.Unmarshal(raw, &info)
	if err != nil {
		return info, fmt.Errorf("not a property list: %w", err)
	}
	if format != plist.XMLFormat || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<?xml")) {
		return info, fmt.Errorf("not an XML property list")
	}
	var missing []string
	for key, v := range map[string]string{"CFBundleIdentifier": info.Identifier, "CFBundleName": info.Name,
		"CFBundleExecutable": info.Executable, "CFBundleInfoDictionaryVersion": info.InfoVersion,
		"CFBundleShortVersionString": info.ShortVersion, "CFBundleVersion": info.Version,
		"LSMinimumSystemVersion": info.MinimumOS, "CFBundleIconFile": info.IconFile} {
		if v == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return info, fmt.Errorf("missing keys %v", missing)
	}
	switch {
	case info.PackageType != "APPL":
		return info, fmt.Errorf("CFBundlePackageType %q, want APPL", info.PackageType)
	case !info.UIElement:
		return info, fmt.Errorf("LSUIElement is not true: the app would show in the Dock")
	case filepath.Base(info.Executable) != info.Executable:
		return info, fmt.Errorf("CFBundleExecutable %q is not a file name", info.Executable)
	}
	for _, d := range info.DocumentTypes {
		for _, e := range d.Extensions {
			if e == "gguf" {
				return info, nil
			}
		}
	}
	return info, fmt.Errorf("no CFBundleDocumentTypes entry for .gguf")
}
