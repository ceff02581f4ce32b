//go:build tools

// Package tools pins the Kubernetes provider main package so that
// go.mod/go.sum record its full dependency graph; scripts/toolchain builds
// github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
	// The schema generator (cmd/pulumi-resource-kubernetes/generate.go,
	// `//go:build ignore`) needs this package.
	_ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)
