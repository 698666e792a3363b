package agent

import "testing"

// TestTagMenu: every tag leads to the action of the item that carries it,
// across submenus, and separators carry none.
func TestTagMenu(t *testing.T) {
	menu := BuildMenu(View{Jobs: []Job{{ID: "3", Candidate: "a.gguf", State: Running}},
		Models: []LocalModel{{Name: "m", Source: "Ollama", File: "/blob"}}})
	tagged, actions := TagMenu(menu)
	var check func([]Tagged, []Item)
	seen := map[int]bool{}
	check = func(ts []Tagged, items []Item) {
		if len(ts) != len(items) {
			t.Fatalf("%d tagged for %d items", len(ts), len(items))
		}
		for i, tg := range ts {
			if items[i].Separator {
				if tg.Tag != -1 {
					t.Errorf("separator tagged %d", tg.Tag)
				}
				continue
			}
			if seen[tg.Tag] {
				t.Errorf("tag %d used twice", tg.Tag)
			}
			seen[tg.Tag] = true
			if actions[tg.Tag] != items[i].Action {
				t.Errorf("%q: tag %d does %+v, want %+v", items[i].Title, tg.Tag, actions[tg.Tag], items[i].Action)
			}
			check(tg.Children, items[i].Children)
		}
	}
	check(tagged, menu)
	if len(seen) != len(actions) {
		t.Errorf("%d tags, %d actions", len(seen), len(actions))
	}
	pause := FindItem(menu, TitleQueue, "a.gguf — verifying, 0%", "Pause")
	if pause == nil || pause.Action != (Action{ActPause, "3"}) {
		t.Fatalf("job's Pause item: %+v", pause)
	}
}
