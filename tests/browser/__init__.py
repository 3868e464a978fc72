"""Tests of the built sample site as a reader meets it: real Chromium, validator, axe, links."""
