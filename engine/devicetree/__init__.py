"""Device trees: live tree, kdump FDT, FDT hole updated in place, DTB checks, import, inspect."""
