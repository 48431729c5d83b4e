"""Development only: the local stack (`make run`). Lambda never imports this package."""
