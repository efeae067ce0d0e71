# SPDX-License-Identifier: GPL-2.0
#
# make                 build module/wms.ko (and the example client) for KDIR
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
# make install         module (modules_install), wmsctl, its man page and
#                      the uapi header under PREFIX (default /usr/local)
# make dkms-install | dkms-remove   register wms with DKMS / take it away
# make deb             the Debian packages (debian/: wms-dkms, wms-tools) in
#                      build/deb with dpkg-buildpackage, then lintian
# make modules_install | clean

KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local
WMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/wms-$(WMS_VERSION)

.PHONY: all modules modules_install install dkms-install dkms-remove clean \
	run shell test test-matrix kunit check dkms-check uml-debug vm-test tools bench fuzz endurance \
	deb deb-check

all: modules tools

tools:
	$(MAKE) -C tools

modules:
	@test -d "$(KDIR)" || { \
		echo "error: no kernel build tree at $(KDIR)" >&2; \
		echo "install linux-headers-$$(uname -r), or set KDIR=" >&2; \
		exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

modules_install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install

install: modules_install
	$(MAKE) -C tools install PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)"
	install -D -m 0644 include/uapi/linux/wms.h \
		"$(DESTDIR)$(PREFIX)/include/linux/wms.h"
	@echo "installed; load with: modprobe wms (after depmod -a)"

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
	rm -rf userspace-test/build tools/build

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
