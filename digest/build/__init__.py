"""The build engine: the pipeline, its caches and fingerprints, and the atomic writer."""
