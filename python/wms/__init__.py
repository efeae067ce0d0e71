# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""wms: named blocks of kernel memory, shared by name through /dev/wms.

A binding of libwms (the C library of the wms kernel module) through
ctypes: no compiled extension, only libwms.so.1 at run time.

    import wms

    shm = wms.SharedMemory("greeting", create=True, size=4096)
    shm.buf[:5] = b"hello"          # another process: wms.SharedMemory("greeting")
    shm.close()
    shm.unlink()

SharedMemory behaves like multiprocessing.shared_memory.SharedMemory: .name,
.size, .buf (a memoryview of the mapping), .close() and .unlink(), and the
same exceptions: FileNotFoundError (no such entry, or no /dev/wms),
FileExistsError (create=True and the name exists), PermissionError (EACCES,
EPERM), other OSErrors with their errno, ValueError for a bad size.
wms.entries() lists the entries and wms.info(name) describes one.

Names are str (or bytes, or a path-like): 1 to 255 bytes once encoded with
the file system encoding, no '/', not "." or "..". Names beginning with "."
are reserved for kernel code: they cannot be created from user space.
"""

import collections
import ctypes
import errno as _errno
import mmap as _mmap
import os
import secrets

__all__ = ["SharedMemory", "Entry", "Info", "entries", "info", "NAME_MAX",
           "DEVICE_PATH"]

NAME_MAX = 255
DEVICE_PATH = "/dev/wms"
_ADD_EXCL = 1
_SONAME = "libwms.so.1"


class _Info(ctypes.Structure):
    # struct wms_info of <linux/wms.h> (320 bytes)
    _fields_ = [("name", ctypes.c_char * (NAME_MAX + 1)),
                ("size", ctypes.c_uint64),
                ("uid", ctypes.c_uint32),
                ("gid", ctypes.c_uint32),
                ("mode", ctypes.c_uint32),
                ("attached", ctypes.c_uint32),
                ("ctime_ns", ctypes.c_uint64),
                ("reserved", ctypes.c_uint64 * 4)]


class _ListEntry(ctypes.Structure):
    # struct wms_list_entry of <linux/wms.h> (280 bytes)
    _fields_ = [("name", ctypes.c_char * (NAME_MAX + 1)),
                ("size", ctypes.c_uint64),
                ("uid", ctypes.c_uint32),
                ("gid", ctypes.c_uint32),
                ("mode", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32)]


def _load():
    try:
        lib = ctypes.CDLL(_SONAME, use_errno=True)
    except OSError as e:
        raise ImportError(
            f"wms needs {_SONAME} (libwms): install it (make install in the "
            f"wms sources) or point LD_LIBRARY_PATH at it: {e}") from e
    proto = {
        "wms_open": (ctypes.c_int, [ctypes.c_int]),
        "wms_close": (ctypes.c_int, [ctypes.c_int]),
        "wms_add": (ctypes.c_int, [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint64,
                                   ctypes.c_uint, ctypes.c_uint,
                                   ctypes.POINTER(ctypes.c_uint64)]),
        "wms_remove": (ctypes.c_int, [ctypes.c_int, ctypes.c_char_p]),
        "wms_info": (ctypes.c_int, [ctypes.c_int, ctypes.c_char_p,
                                    ctypes.POINTER(_Info)]),
        "wms_list_begin": (ctypes.c_void_p, [ctypes.c_int]),
        "wms_list_next": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(_ListEntry)]),
        "wms_list_end": (None, [ctypes.c_void_p]),
        "wms_attach": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_int]),
    }
    for fn, (res, args) in proto.items():
        f = getattr(lib, fn)
        f.restype = res
        f.argtypes = args
    return lib


_lib = _load()

Entry = collections.namedtuple("Entry", "name size uid gid mode")
Entry.__doc__ = "An entry as wms.entries() lists it (uid and gid in this user namespace)."
Info = collections.namedtuple("Info", "name size uid gid mode attached ctime_ns")
Info.__doc__ = ("What wms.info() reports of an entry: attached is its open attached "
                "files, ctime_ns its creation time (CLOCK_REALTIME, ns).")


def _encode(name):
    if isinstance(name, (bytes, bytearray)):
        return bytes(name)
    return os.fsencode(name)


def _error(name=None):
    """The OSError of libwms's errno: FileNotFoundError, PermissionError..."""
    err = ctypes.get_errno()
    # ENOENT has two meanings: no entry of that name, or no /dev/wms at all.
    if err == _errno.ENOENT and not os.path.exists(DEVICE_PATH):
        return OSError(err, f"{os.strerror(err)} (is the wms module loaded?)",
                       DEVICE_PATH)
    if name is None:
        return OSError(err, os.strerror(err))
    return OSError(err, os.strerror(err), name)


class _Device:
    """A file of /dev/wms for the calls of one operation."""

    def __enter__(self):
        # The calls do not depend on the access mode: read-only will do
        # where the device's permissions allow only that (as for wmsctl).
        self.fd = _lib.wms_open(os.O_RDWR | os.O_CLOEXEC)
        if self.fd < 0 and ctypes.get_errno() in (_errno.EACCES, _errno.EROFS):
            self.fd = _lib.wms_open(os.O_RDONLY | os.O_CLOEXEC)
        if self.fd < 0:
            raise _error()
        return self.fd

    def __exit__(self, *exc):
        _lib.wms_close(self.fd)


def info(name):
    """Describe the entry @name (needs no permission); an Info."""
    raw = _encode(name)
    out = _Info()
    with _Device() as fd:
        if _lib.wms_info(fd, raw, ctypes.byref(out)) < 0:
            raise _error(name)
    return Info(os.fsdecode(raw), out.size, out.uid, out.gid, out.mode,
                out.attached, out.ctime_ns)


def entries():
    """Every entry, in creation order, as a list of Entry."""
    result = []
    with _Device() as fd:
        it = _lib.wms_list_begin(fd)
        if not it:
            raise _error()
        try:
            e = _ListEntry()
            while True:
                r = _lib.wms_list_next(it, ctypes.byref(e))
                if r < 0:
                    raise _error()
                if r == 0:
                    break
                result.append(Entry(os.fsdecode(e.name), e.size, e.uid, e.gid, e.mode))
        finally:
            _lib.wms_list_end(it)
    return result


def _make_name():
    # As multiprocessing.shared_memory's "psm_" names, short and random.
    return "wms_" + secrets.token_hex(8)


class SharedMemory:
    """A wms entry, mapped: multiprocessing.shared_memory.SharedMemory's interface.

    SharedMemory(name=None, create=False, size=0, *, mode=0o600)

    create=True makes a new entry of @size bytes (> 0), zero-filled, with the
    permission bits @mode; FileExistsError if @name exists. Without a name it
    makes one up. create=False attaches to the existing entry @name, whatever
    its size (@size is ignored). Either way the entry is mapped read-write
    and shared: .buf is a memoryview of it, every store seen at once by every
    other process mapping the same name.

    close() ends this object's access (it fails with BufferError while views
    of .buf are alive, as shared_memory's does); unlink() removes the name
    (its owner, or CAP_SYS_ADMIN): the memory lives on until every process
    has closed it. An entry not unlinked outlives the processes that made it.
    """

    _mmap = None
    _buf = None
    _name = None
    _size = 0

    def __init__(self, name=None, create=False, size=0, *, mode=0o600):
        if not size >= 0:
            raise ValueError("'size' must be a positive integer")
        if create:
            if size == 0:
                raise ValueError("'size' must be a positive number different from zero")
        elif name is None:
            raise ValueError("'name' can only be None if create=True")
        made = None
        with _Device() as fd:
            if create:
                while True:
                    n = _make_name() if name is None else name
                    raw = _encode(n)
                    if _lib.wms_add(fd, raw, size, mode, _ADD_EXCL, None) >= 0:
                        made = raw
                        break
                    if name is not None or ctypes.get_errno() != _errno.EEXIST:
                        raise _error(n)
                name = n
            raw = _encode(name)
            try:
                self._attach(raw, name)
            except BaseException:
                if made is not None:
                    _lib.wms_remove(fd, made)
                raise
        self._name = os.fsdecode(raw)

    def _attach(self, raw, name):
        afd = _lib.wms_attach(raw, os.O_RDWR | os.O_CLOEXEC)
        if afd < 0:
            raise _error(name)
        try:
            # The size of the entry attached: the name may have been
            # removed and made again since.
            size = os.lseek(afd, 0, os.SEEK_END)
            if size == 0:
                raise ValueError(f"cannot map the entry {name!r}: its size is 0")
            self._mmap = _mmap.mmap(afd, size)
        finally:
            _lib.wms_close(afd)
        self._size = size
        self._buf = memoryview(self._mmap)

    def __del__(self):
        try:
            self.close()
        except OSError:
            pass

    def __reduce__(self):
        return (self.__class__, (self.name, False, self.size))

    def __repr__(self):
        return f"{self.__class__.__name__}({self.name!r}, size={self.size})"

    @property
    def buf(self):
        "A memoryview of the entry's data."
        return self._buf

    @property
    def name(self):
        "The entry's name."
        return self._name

    @property
    def size(self):
        "The entry's size in bytes."
        return self._size

    def close(self):
        """Close this object's access to the entry; the entry stays."""
        if self._buf is not None:
            self._buf.release()
            self._buf = None
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None

    def unlink(self):
        """Remove the entry's name; the memory goes when the last user lets go.

        Call it once, from one process, as for shared_memory."""
        with _Device() as fd:
            if _lib.wms_remove(fd, _encode(self._name)) < 0:
                raise _error(self._name)
