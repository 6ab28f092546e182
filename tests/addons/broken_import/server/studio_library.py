"""Stands for a dependency that the server does not have."""

raise ImportError("the studio library 'studiolib' is not installed")
