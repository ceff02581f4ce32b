"""End-to-end tests: the real Pulumi engine and provider against a local Kubernetes API server."""
