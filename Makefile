# SPDX-License-Identifier: GPL-2.0
#
# make                 build module/wms.ko (and the example client) for KDIR,
#                      libwms (lib/build) and wmsctl (tools/build)
# make lib | tools     only libwms, only wmsctl (and libwms)
# make run             boot Debian's 6.12 kernel under QEMU with wms loaded
#                      and show two processes sharing an entry
# make shell           the same VM, left at a busybox prompt
# make test            KUnit on UML, static checks, the suites on every kernel
#                      of scripts/targets.conf under QEMU; ends "N passed,
#                      N failed" (KERNELS=latest: the newest each target's
#                      suite has)
# make test-matrix [TARGETS="amd64-5.10 arm64-6.12 ..."] [KERNELS=latest]
#                      only the per-target part: the W=1 build and the
#                      suites in QEMU of each target named (default: all)
# make kunit | check | dkms-check | deb-check | uml-debug | vm-test
#                      one part of `make test` (uml-debug: the userspace
#                      suite on a KASAN/lockdep/kmemleak UML kernel;
#                      deb-check: make deb, lintian, the packages installed
#                      and removed in a bookworm chroot, the module DKMS
#                      built there booted)
# make fuzz SECONDS=N  the differential fuzzer for N seconds per Debian kernel
# make endurance [KVER=...]  1000 insmod/rmmod cycles and a 60 s 8-thread
#                      load on a Debian kernel (default 6.12), memory checked
# make bench           wms against POSIX/SysV shm, memfd and keyrings
# make install         the user space under PREFIX (default /usr/local), in
#                      DESTDIR if set: libwms (libwms.so.1, libwms.a,
#                      libwms.h, the uapi header <linux/wms.h> unless the
#                      system has one, wms.pc, the man pages), wmsctl and
#                      wmsctl.1, the udev rule 60-wms.rules (/dev/wms for
#                      the group wms, made if missing), the Python module
#                      wms; make -C lib install takes LIBDIR=, INCLUDEDIR=,
#                      MANDIR=, PKGCONFIGDIR=; PYTHONDIR= and UDEVRULESDIR=
#                      here. The module is make modules_install.
# make uninstall       what make install installed (not the uapi header)
# make dkms-install | dkms-remove   register wms with DKMS / take it away
# make deb             the Debian packages (debian/: wms-dkms, libwms1,
#                      libwms-dev, wms-tools, python3-wms) in build/deb
#                      with dpkg-buildpackage, then lintian
# make modules_install | clean

KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
ifeq ($(strip $(PREFIX)),)
override PREFIX := /usr/local
endif
# The Python the module is installed for: the system's, if there is one.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
# Its site directory under PREFIX: /usr/local/lib/python3.X/dist-packages
# or /usr/lib/python3/dist-packages on Debian, else sysconfig's purelib.
PYTHONDIR_CMD := import site, sys, sysconfig; p = sys.argv[1].rstrip("/"); 	c = [d for d in site.getsitepackages() if d.startswith(p + "/lib/")]; 	print(c[0] if c else sysconfig.get_path("purelib", "posix_prefix", 	vars={"base": p, "platbase": p}))
LIBWMS_O := $(CURDIR)/lib/build
WMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/wms-$(WMS_VERSION)

.PHONY: all modules modules_install install uninstall dkms-install dkms-remove clean \
	run shell test test-matrix kunit check dkms-check uml-debug vm-test lib tools bench \
	fuzz endurance deb deb-check

all: modules lib tools

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools LIBWMS_O="$(LIBWMS_O)"

modules:
	@test -d "$(KDIR)" || { \
		echo "error: no kernel build tree at $(KDIR)" >&2; \
		echo "install linux-headers-$$(uname -r), or set KDIR=" >&2; \
		exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

modules_install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install

# The user space only: the module is modules_install (or DKMS).
install: lib tools
	$(MAKE) -C lib install PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)"
	$(MAKE) -C tools install install-udev PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" \
		LIBWMS_O="$(LIBWMS_O)"
	@dir='$(PYTHONDIR)'; \
	if [ -z "$$dir" ]; then \
		dir=$$($(PYTHON) -c '$(PYTHONDIR_CMD)' '$(PREFIX)' 2>/dev/null) || \
			dir='$(PREFIX)/lib/python3/dist-packages'; \
	fi; \
	echo "install -D -m 0644 python/wms/__init__.py $(DESTDIR)$$dir/wms/__init__.py"; \
	install -D -m 0644 python/wms/__init__.py "$(DESTDIR)$$dir/wms/__init__.py"
	@if [ -z '$(DESTDIR)' ] && ! getent group wms >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v groupadd >/dev/null; then \
			echo "groupadd --system wms"; groupadd --system wms; \
		else \
			echo "note: no group wms: create it (groupadd --system wms), 60-wms.rules gives /dev/wms to it"; \
		fi; \
	fi
	@echo "installed. The udev rule makes /dev/wms mode 0660, group wms, when"
	@echo "the module is next loaded (or: udevadm trigger --name-match=wms):"
	@echo "add its users to the group (usermod -aG wms USER). The module:"
	@echo "make modules_install && depmod -a && modprobe wms, or make dkms-install."

uninstall:
	$(MAKE) -C lib uninstall PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)"
	$(MAKE) -C tools uninstall PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)"
	@dir='$(PYTHONDIR)'; \
	if [ -z "$$dir" ]; then \
		dir=$$($(PYTHON) -c '$(PYTHONDIR_CMD)' '$(PREFIX)' 2>/dev/null) || \
			dir='$(PREFIX)/lib/python3/dist-packages'; \
	fi; \
	echo "rm -rf $(DESTDIR)$$dir/wms"; rm -rf "$(DESTDIR)$$dir/wms"

dkms-install:
	rm -rf "$(DKMS_SRC)" && mkdir -p "$(DKMS_SRC)"
	cp -a Kbuild Makefile dkms.conf module include "$(DKMS_SRC)/"
	dkms add -m wms -v "$(WMS_VERSION)"
	dkms build -m wms -v "$(WMS_VERSION)"
	dkms install -m wms -v "$(WMS_VERSION)"

dkms-remove:
	-dkms remove -m wms -v "$(WMS_VERSION)" --all
	rm -rf "$(DKMS_SRC)"

deb:
	@bash scripts/deb.sh

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	rm -rf userspace-test/build tools/build lib/build

run:
	@bash scripts/vm.sh run

shell:
	@bash scripts/vm.sh shell

test:
	@bash scripts/test-all.sh

test-matrix:
	@bash scripts/test-all.sh --matrix

kunit:
	@bash scripts/kunit.sh

check:
	@bash scripts/static-checks.sh

dkms-check:
	@bash scripts/dkms-check.sh

deb-check:
	@bash scripts/deb-check.sh

uml-debug:
	@bash scripts/uml-debug.sh

vm-test:
	@bash scripts/vm.sh test

fuzz:
	@bash scripts/fuzz.sh $(SECONDS)

endurance:
	@bash scripts/vm.sh endurance $(KVER)

bench:
	@bash scripts/bench.sh
