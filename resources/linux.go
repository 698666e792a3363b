package resources

import "embed"

// Linux holds linux/pot-agent.desktop (Open With PoT: `pot agent --open`)
// and linux/pot-gguf.xml (the application/x-gguf MIME type), which a
// package installs with desktop-file-install and xdg-mime.
//
//go:embed linux/*
var Linux embed.FS
