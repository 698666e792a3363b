package resources

import "embed"

// Icons holds the agent's status icons, drawn by iconsgen (see its doc):
// icons/NAME.png for Linux trays and icons/NAMETemplate.png,
// icons/NAMETemplate@2x.png for the macOS menu bar, for NAME in idle,
// working, paused and attention.
//
//go:generate go run ./iconsgen -o icons
//go:embed icons/*.png
var Icons embed.FS
