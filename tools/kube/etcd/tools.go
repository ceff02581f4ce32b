//go:build tools

// Package tools records the etcd server command that scripts/cluster builds
// with `go build` from this module.
package tools

import _ "go.etcd.io/etcd/server/v3"
