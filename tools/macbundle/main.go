// Command macbundle makes PoT.app from Linux (or any system): a universal
// (arm64 + x86_64) Mach-O executable with an ad-hoc signature on each
// slice, Info.plist, and icons; it also checks a bundle, and draws the
// project's monochrome icons.
//
//	macbundle build -o PoT.app -arm64 pot-darwin-arm64 -amd64 pot-darwin-amd64 -plist Info.plist -icons resources/icons
//	macbundle check PoT.app
//	macbundle icons -o resources/icons
//
// It is its own module so that the signing library (github.com/anchore/quill,
// pure Go, and the many modules it pulls in) stays out of the pot binary's
// module graph. What it cannot do from Linux: seal the bundle
// (_CodeSignature/CodeResources, Info.plist binding) or sign with a
// Developer ID and notarize; run `codesign --force --deep -s - PoT.app` on
// a Mac for the former.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "macbundle:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: macbundle build|check|icons …")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "build":
		var o Options
		fs.StringVar(&o.Out, "o", "PoT.app", "bundle to write")
		fs.StringVar(&o.ARM64, "arm64", "", "darwin/arm64 executable")
		fs.StringVar(&o.AMD64, "amd64", "", "darwin/amd64 executable")
		fs.StringVar(&o.Plist, "plist", "Info.plist", "Info.plist to install")
		fs.StringVar(&o.Icons, "icons", "", "directory of icon PNGs (see icons)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return Build(o)
	case "check":
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return fmt.Errorf("usage: macbundle check APP")
		}
		r, err := Check(fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Println(r)
		return nil
	case "icons":
		out := fs.String("o", "resources/icons", "directory to write the PNGs to")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return WriteIcons(*out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}
