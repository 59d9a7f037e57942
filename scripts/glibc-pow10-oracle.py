# Oracle for test/engine/glibc-pow.test.ts: Python's 10 ** y of each float64 on stdin (raw little-endian) to stdout.
"""Reads float64 values as raw little-endian bytes on stdin and writes 10 ** y of each, as raw
little-endian float64 bytes, to stdout; prints nothing else.

`10 ** y` for a Python float y is what the book's hyperparameter_optimization.py computes (numpy's
scalar uniform returns a Python float): CPython's float_pow, which calls the C library's pow(10.0, y).
"""

import sys
from array import array

values = array("d")
values.frombytes(sys.stdin.buffer.read())
if sys.byteorder != "little":
    values.byteswap()
out = array("d", (10**y for y in values))
if sys.byteorder != "little":
    out.byteswap()
sys.stdout.buffer.write(out.tobytes())
