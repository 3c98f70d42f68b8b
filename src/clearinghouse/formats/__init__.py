"""Per-language formats Django uses over its own (FORMAT_MODULE_PATH): see docs/i18n.md."""
