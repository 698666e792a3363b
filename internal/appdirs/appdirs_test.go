package appdirs

import (
	"errors"
	"testing"
)

func TestDirs(t *testing.T) {
	const mac = "/Users/ada/Library/Application Support/PoT"
	for _, c := range []struct {
		name                       string
		env                        Env
		config, data, certs, queue string // "" means ErrNoHome
	}{
		{"darwin", Env{GOOS: "darwin", Home: "/Users/ada", XDGConfigHome: "/x", XDGDataHome: "/y"},
			mac, mac, mac + "/certificates", mac + "/queue"},
		{"ios", Env{GOOS: "ios", Home: "/Users/ada"}, mac, mac, mac + "/certificates", mac + "/queue"},
		{"linux-xdg", Env{GOOS: "linux", Home: "/home/ada", XDGConfigHome: "/cfg", XDGDataHome: "/data"},
			"/cfg/pot", "/data/pot", "/data/pot/certificates", "/data/pot/queue"},
		{"linux-default", Env{GOOS: "linux", Home: "/home/ada"},
			"/home/ada/.config/pot", "/home/ada/.local/share/pot", "/home/ada/.local/share/pot/certificates", "/home/ada/.local/share/pot/queue"},
		{"freebsd-default", Env{GOOS: "freebsd", Home: "/home/ada"},
			"/home/ada/.config/pot", "/home/ada/.local/share/pot", "/home/ada/.local/share/pot/certificates", "/home/ada/.local/share/pot/queue"},
		{"linux-relative-xdg", Env{GOOS: "linux", Home: "/home/ada", XDGConfigHome: "cfg", XDGDataHome: "data"},
			"/home/ada/.config/pot", "/home/ada/.local/share/pot", "/home/ada/.local/share/pot/certificates", "/home/ada/.local/share/pot/queue"},
		{"linux-xdg-no-home", Env{GOOS: "linux", XDGConfigHome: "/cfg", XDGDataHome: "/data"},
			"/cfg/pot", "/data/pot", "/data/pot/certificates", "/data/pot/queue"},
		{"override", Env{GOOS: "darwin", ConfigDir: "/tmp/k", DataDir: "/tmp/d"}, "/tmp/k", "/tmp/d", "/tmp/d/certificates", "/tmp/d/queue"},
		{"no-home", Env{GOOS: "linux"}, "", "", "", ""},
		{"relative-home", Env{GOOS: "linux", Home: "ada"}, "", "", "", ""},
		{"darwin-no-home", Env{GOOS: "darwin", XDGConfigHome: "/cfg", XDGDataHome: "/data"}, "", "", "", ""},
	} {
		for _, f := range []struct {
			what string
			fn   func(Env) (string, error)
			want string
		}{{"config", Config, c.config}, {"data", Data, c.data}, {"certificates", Certificates, c.certs}, {"queue", Queue, c.queue}} {
			got, err := f.fn(c.env)
			if got != f.want || (f.want == "") != errors.Is(err, ErrNoHome) {
				t.Errorf("%s: %s = %q (%v), want %q", c.name, f.what, got, err, f.want)
			}
		}
	}
}
