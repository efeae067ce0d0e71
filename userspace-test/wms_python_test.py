#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""wms_python_test: the Python binding (python/wms) against the real module.

Runs as root with wms.ko loaded and libwms.so.1 where ctypes finds it
(LD_LIBRARY_PATH); the wms package is found on PYTHONPATH, else in
../python next to this file. Prints TAP ("ok N - name") and the harness's
"# Totals: pass:P fail:F ..." line; exit status 1 if a test failed.

The first test is the share-by-name scenario of the documentation of
multiprocessing.shared_memory, with wms.SharedMemory: one process creates a
block and writes through .buf, a second process (another interpreter)
attaches by name, reads, writes, closes; the first sees the write, closes
and unlinks. Then: listing and info, the exceptions (FileNotFoundError,
FileExistsError, PermissionError as uid 65534, OSError with errno,
ValueError, BufferError), close/unlink semantics, pickling, names.
Every entry is named "py.*" (or made up by the binding and unlinked) and
removed at the end.
"""

import array
import ctypes
import errno
import os
import pickle
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(HERE, "..", "python", "wms")):
    sys.path.insert(1, os.path.join(HERE, "..", "python"))

NOBODY = 65534
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def run_py(code, user=None):
    """Run @code in a second interpreter (as uid/gid @user); its CompletedProcess."""
    kw = {}
    if user is not None:
        kw = {"user": user, "group": user, "extra_groups": []}
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, env=os.environ.copy(), **kw)


def expect_child(res, what):
    assert res.returncode == 0, (
        f"{what}: exit status {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}")
    return res.stdout


def raises(exc, fn, *args, **kw):
    """fn(*args, **kw) raises exc (exactly that class, or a subclass); returns it."""
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError(f"{fn.__name__}{args} did not raise {exc.__name__}")


def cleanup(prefix="py."):
    import wms
    n = 0
    for e in wms.entries():
        if e.name.startswith(prefix):
            with wms._Device() as fd:
                wms._lib.wms_remove(fd, os.fsencode(e.name))
            n += 1
    return n


# ---------------------------------------------------------------------------

@test
def import_wms():
    import wms
    assert callable(wms.SharedMemory) and callable(wms.entries) and callable(wms.info)
    # the ctypes structs are the uapi structs
    assert ctypes.sizeof(wms._Info) == 320, ctypes.sizeof(wms._Info)
    assert ctypes.sizeof(wms._ListEntry) == 280, ctypes.sizeof(wms._ListEntry)
    assert wms._Info.size.offset == 256 and wms._Info.ctime_ns.offset == 280
    assert wms._ListEntry.mode.offset == 272


@test
def shared_memory_doc_scenario():
    """multiprocessing.shared_memory's example, a second process attaching by name."""
    import wms
    shm_a = wms.SharedMemory(create=True, size=10)
    buffer = None
    try:
        assert type(shm_a.buf) is memoryview
        buffer = shm_a.buf
        assert len(buffer) == 10
        buffer[:4] = bytearray([22, 33, 44, 55])
        buffer[4] = 100
        # attach to the existing block by name from another process
        code = f"""
import array, wms
shm_b = wms.SharedMemory({shm_a.name!r})
print(array.array('b', shm_b.buf[:5]).tolist())
shm_b.buf[:5] = b'howdy'
shm_b.close()
"""
        out = expect_child(run_py(code), "the second process")
        assert out.strip() == "[22, 33, 44, 55, 100]", out
        assert bytes(shm_a.buf[:5]) == b"howdy"
        # and the documentation's same-process attach
        shm_b = wms.SharedMemory(shm_a.name)
        assert array.array("b", shm_b.buf[:5]).tolist() == list(b"howdy")
        shm_b.buf[:5] = b"HOWDY"
        assert bytes(shm_a.buf[:5]) == b"HOWDY"
        shm_b.close()
    finally:
        name = shm_a.name
        del buffer
        shm_a.close()
        shm_a.unlink()
    raises(FileNotFoundError, wms.info, name)
    raises(FileNotFoundError, wms.SharedMemory, name)


@test
def create_attach_close_unlink():
    import wms
    t0 = time.time_ns()
    shm = wms.SharedMemory("py.a", create=True, size=5000)
    assert shm.name == "py.a" and shm.size == 5000 and len(shm.buf) == 5000
    assert repr(shm) == "SharedMemory('py.a', size=5000)"
    assert bytes(shm.buf) == bytes(5000), "new data is not zero"
    i = wms.info("py.a")
    assert i == wms.Info("py.a", 5000, 0, 0, 0o600, 1, i.ctime_ns), i
    assert t0 <= i.ctime_ns <= time.time_ns()
    shm.buf[4990:] = b"0123456789"
    shm.close()
    shm.close()         # twice is fine
    assert shm.buf is None
    assert wms.info("py.a").attached == 0
    # the data outlives the process's access: named memory
    again = wms.SharedMemory("py.a", size=1)       # size is ignored on attach
    assert again.size == 5000
    assert bytes(again.buf[4990:]) == b"0123456789"
    again.unlink()
    # unlinked: the name is gone, the mapping lives on
    raises(FileNotFoundError, wms.info, "py.a")
    again.buf[0] = 7
    assert again.buf[0] == 7
    e = raises(FileNotFoundError, again.unlink)
    assert e.errno == errno.ENOENT and e.filename == "py.a"
    again.close()
    # a new entry of the name is another one
    b = wms.SharedMemory("py.a", create=True, size=3, mode=0o640)
    assert b.size == 3 and bytes(b.buf) == b"\0\0\0"
    assert wms.info("py.a").mode == 0o640
    b.close()
    b.unlink()


@test
def entries_and_info():
    import wms
    made = []
    try:
        for k, (size, mode) in enumerate([(1, 0o600), (4096, 0o644), (70000, 0o660)]):
            made.append(wms.SharedMemory(f"py.l{k}", create=True, size=size, mode=mode))
        ours = [e for e in wms.entries() if e.name.startswith("py.l")]
        assert ours == [wms.Entry("py.l0", 1, 0, 0, 0o600),
                        wms.Entry("py.l1", 4096, 0, 0, 0o644),
                        wms.Entry("py.l2", 70000, 0, 0, 0o660)], ours
        for k, s in enumerate(made):
            i = wms.info(s.name)
            assert (i.name, i.size, i.mode, i.attached) == (s.name, s.size, ours[k].mode, 1)
        assert all(isinstance(e, wms.Entry) for e in wms.entries())
    finally:
        for s in made:
            s.close()
            s.unlink()
    assert not [e for e in wms.entries() if e.name.startswith("py.l")]


@test
def errors_as_exceptions():
    import wms
    a = wms.SharedMemory("py.e", create=True, size=16)
    try:
        e = raises(FileExistsError, wms.SharedMemory, "py.e", create=True, size=16)
        assert e.errno == errno.EEXIST and e.filename == "py.e"
        e = raises(FileNotFoundError, wms.SharedMemory, "py.none")
        assert e.errno == errno.ENOENT and e.filename == "py.none"
        raises(FileNotFoundError, wms.info, "py.none")
        raises(ValueError, wms.SharedMemory, "py.z", create=True, size=0)
        raises(ValueError, wms.SharedMemory, "py.z", create=True, size=-1)
        raises(ValueError, wms.SharedMemory)
        for bad in ("py.a/b", "", ".", ".."):
            e = raises(OSError, wms.SharedMemory, bad, create=True, size=1)
            assert type(e) is OSError and e.errno == errno.EINVAL, (bad, e)
            e = raises(OSError, wms.info, bad)
            assert type(e) is OSError and e.errno == errno.EINVAL, (bad, e)
        e = raises(OSError, wms.SharedMemory, "py." + "x" * 300, create=True, size=1)
        assert type(e) is OSError and e.errno == errno.ENAMETOOLONG, e
        # reserved names are the kernel's, root's creation included
        e = raises(PermissionError, wms.SharedMemory, ".py.reserved", create=True, size=1)
        assert e.errno == errno.EPERM
        with open("/sys/module/wms/parameters/max_entry_size") as f:
            max_size = int(f.read())
        e = raises(OSError, wms.SharedMemory, "py.big", create=True, size=max_size + 1)
        assert e.errno == errno.EFBIG, e
        # size 0 (made through libwms itself): nothing to map
        with wms._Device() as fd:
            assert wms._lib.wms_add(fd, b"py.zero", 0, 0o600, 1, None) == 1
        raises(ValueError, wms.SharedMemory, "py.zero")
        assert wms.info("py.zero").size == 0
    finally:
        a.close()
        a.unlink()
        cleanup("py.zero")
    assert not [e for e in wms.entries() if e.name.startswith(("py.e", "py.z", "py.big"))]


@test
def permissions_as_user_65534():
    import wms
    priv = wms.SharedMemory("py.priv", create=True, size=8, mode=0o600)
    pub = wms.SharedMemory("py.pub", create=True, size=8, mode=0o644)
    open_ = wms.SharedMemory("py.open", create=True, size=8, mode=0o666)
    try:
        code = """
import errno, wms
def check(exc, err, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc as e:
        assert e.errno == err, (fn, a, e)
    else:
        raise AssertionError(f"{fn.__name__}{a} did not raise")
check(PermissionError, errno.EACCES, wms.SharedMemory, "py.priv")
check(PermissionError, errno.EACCES, wms.SharedMemory, "py.pub")    # read-only for others
check(PermissionError, errno.EPERM, wms.SharedMemory, ".py.user", create=True, size=1)
o = wms.SharedMemory("py.open")
o.buf[0] = 42
check(PermissionError, errno.EPERM, o.unlink)                       # not the owner
o.close()
assert wms.info("py.priv").uid == 0                                 # metadata is public
assert {"py.priv", "py.pub", "py.open"} <= {e.name for e in wms.entries()}
mine = wms.SharedMemory("py.mine", create=True, size=4)
assert wms.info("py.mine")[2:4] == (65534, 65534)
mine.close()
mine.unlink()
print("done")
"""
        out = expect_child(run_py(code, user=NOBODY), "as uid 65534")
        assert out.strip() == "done", out
        assert open_.buf[0] == 42
    finally:
        for s in (priv, pub, open_):
            s.close()
            s.unlink()
    raises(FileNotFoundError, wms.info, "py.mine")


@test
def close_with_views_and_pickle():
    import wms
    s = wms.SharedMemory("py.c", create=True, size=32)
    try:
        view = s.buf[2:6]
        raises(BufferError, s.close)
        view.release()
        s.close()
        assert s.buf is None
        s = wms.SharedMemory("py.c")
        s.buf[:3] = b"abc"
        t = pickle.loads(pickle.dumps(s))
        assert isinstance(t, wms.SharedMemory) and t.name == "py.c" and t.size == 32
        assert bytes(t.buf[:3]) == b"abc"
        t.buf[3] = ord("d")
        assert bytes(s.buf[:4]) == b"abcd"
        assert wms.info("py.c").attached == 2
        t.close()
    finally:
        s.close()
        s.unlink()


@test
def names_bytes_and_encoding():
    import wms
    names = ["py.café menu", os.fsdecode(b"py.\xff\xfe"), "py.tab\there"]
    made = []
    try:
        for n in names:
            made.append(wms.SharedMemory(n, create=True, size=1))
        listed = [e.name for e in wms.entries() if e.name.startswith("py.")]
        assert listed == names, listed
        assert wms.info(b"py.\xff\xfe").name == names[1]
        assert wms.SharedMemory(b"py.caf\xc3\xa9 menu").name == names[0]
    finally:
        for s in made:
            s.close()
            s.unlink()


# ---------------------------------------------------------------------------

def main():
    print("TAP version 13")
    print(f"# wms_python_test: Python {sys.version.split()[0]}, {sys.executable}")
    print(f"1..{len(TESTS) + 1}")
    passed = failed = 0
    n = 0
    imported = True
    for fn in TESTS:
        n += 1
        if not imported:
            print(f"not ok {n} - {fn.__name__} # wms could not be imported")
            failed += 1
            continue
        try:
            fn()
        except BaseException:   # noqa: B902 (a test's failure, whatever it is)
            for line in traceback.format_exc().rstrip().split("\n"):
                print(f"# {line}")
            print(f"not ok {n} - {fn.__name__}")
            failed += 1
            if fn is import_wms:
                imported = False
        else:
            print(f"ok {n} - {fn.__name__}")
            passed += 1
        sys.stdout.flush()
    n += 1
    try:
        left = cleanup() if imported else -1
    except Exception as e:   # noqa: B902
        print(f"# cleanup: {e!r}")
        left = -1
    if left == 0:
        print(f"ok {n} - no py.* entry left behind")
        passed += 1
    else:
        print(f"not ok {n} - no py.* entry left behind ({left} removed now)")
        failed += 1
    print(f"# Totals: pass:{passed} fail:{failed} xfail:0 xpass:0 skip:0 error:0")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
