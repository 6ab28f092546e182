from fastapi import Body, Depends, Header, Path, Query  # noqa: F401
