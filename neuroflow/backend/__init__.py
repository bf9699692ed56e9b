"""Backends that turn the lowered IR into executable steps (JAX for now)."""
