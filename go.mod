module github.com/proof-of-training/pot

go 1.26.0

require golang.org/x/sys v0.50.0

require github.com/ebitengine/purego v0.11.3
