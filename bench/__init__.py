"""`make bench` (`python -m bench`): paybridge against two Powertools anchors, one table. See docs/benchmarks.md."""
