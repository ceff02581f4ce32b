"""Unit tests: the component, its validation and the render command, under Pulumi mocks."""
