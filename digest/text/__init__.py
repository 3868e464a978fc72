"""Text helpers shared by the config and the content stage: YAML text, slugs, URLs, links."""
