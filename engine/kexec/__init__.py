"""kexec: the crashkernel region, its segments, the elfcorehdr, the loaded image, the kexec lock."""
