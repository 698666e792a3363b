package agent

// Tagged is a menu item numbered for a toolkit that reports clicks by an
// integer tag (AppKit's NSMenuItem.tag): Tag indexes the action table
// TagMenu returns. Separators have Tag -1.
type Tagged struct {
	Item
	Tag      int
	Children []Tagged
}

// TagMenu numbers items depth-first and returns them with the table of
// their actions, so a click on tag n does actions[n].
func TagMenu(items []Item) (tagged []Tagged, actions []Action) {
	var walk func([]Item) []Tagged
	walk = func(items []Item) []Tagged {
		out := make([]Tagged, len(items))
		for i, it := range items {
			out[i] = Tagged{Item: it, Tag: -1}
			if it.Separator {
				continue
			}
			out[i].Tag = len(actions)
			actions = append(actions, it.Action)
			out[i].Children = walk(it.Children)
		}
		return out
	}
	return walk(items), actions
}
