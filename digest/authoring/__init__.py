"""The author's commands: new, fetch, check (and its link check), show, init."""
