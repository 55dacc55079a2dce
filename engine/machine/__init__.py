"""The pseries machine: cores, SMT threads and memory blocks, and the QEMU CPU-node templates."""
