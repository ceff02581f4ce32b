//go:build tools

// Package tools pins the Pulumi CLI main package so that go.mod/go.sum
// record its full dependency graph; scripts/toolchain builds it with
// `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
