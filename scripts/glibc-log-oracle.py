# Oracle for test/engine/glibc-log.test.ts: the C library's log of each float64 on stdin (raw little-endian) to stdout.
"""Reads float64 values as raw little-endian bytes on stdin and writes the C library's log of each,
as raw little-endian float64 bytes, to stdout; prints nothing else.

It calls libm's `log` through ctypes, so the values are exactly glibc's (math.log would raise on
0 and negatives, and numpy.log has its own SIMD code). log(±0) = -inf, log(x < 0) = nan,
log(inf) = inf, log(nan) = nan, as the C function returns them.
"""

import ctypes
import sys
from array import array

libm = ctypes.CDLL("libm.so.6")
c_log = libm.log
c_log.restype = ctypes.c_double
c_log.argtypes = [ctypes.c_double]

values = array("d")
values.frombytes(sys.stdin.buffer.read())
if sys.byteorder != "little":
    values.byteswap()
out = array("d", map(c_log, values))
if sys.byteorder != "little":
    out.byteswap()
sys.stdout.buffer.write(out.tobytes())
