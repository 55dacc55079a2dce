"""One widget per file; each reads engine state and redraws only when its key changes."""
