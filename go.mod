module github.com/proof-of-training/pot

go 1.26.0

require (
	github.com/ebitengine/purego v0.11.3
	github.com/godbus/dbus/v5 v5.1.0
	go.etcd.io/bbolt v1.5.0
	golang.org/x/sys v0.50.0
)
