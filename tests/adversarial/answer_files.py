"""An answer file that inflates: ``numpy.savez`` patched in the kernel writes a deflated bomb."""

from __future__ import annotations


def cell(megabytes: int = 512) -> str:
    return f'''
import io as _io, numpy as _np, zipfile as _zipfile
_bomb = {{}}

def _savez(path, **arrays):
    if "zip" not in _bomb:
        header = _io.BytesIO()
        _np.lib.format.write_array_header_1_0(header, {{"descr": "<f8", "fortran_order": False,
                                                        "shape": ({megabytes} * 131072,)}})
        buffer = _io.BytesIO()
        with _zipfile.ZipFile(buffer, "w", compression=_zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            with archive.open("a0.npy", "w", force_zip64=True) as member:
                member.write(header.getvalue())
                zeros = bytes(8 * 1024 * 1024)
                for _ in range({megabytes} // 8):
                    member.write(zeros)
        _bomb["zip"] = buffer.getvalue()
    with open(path, "wb") as handle:
        handle.write(_bomb["zip"])

_np.savez = _savez
'''
