"""The search stage: the built pages indexed by Pagefind."""
