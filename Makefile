# SPDX-License-Identifier: GPL-2.0
#
# make                 build module/wms.ko (and the example client) for KDIR
# make run             boot Debian's 6.12 kernel under QEMU with wms loaded
#                      and show two processes sharing an entry
# make shell           the same VM, left at a busybox prompt
# make test            KUnit on UML, static checks, the ioctl suite on
#                      Debian 6.1 and 6.12 under QEMU; ends "N passed, N failed"
# make kunit | check | vm-test   one part of `make test`
# make modules_install | clean

KDIR ?= /lib/modules/$(shell uname -r)/build

.PHONY: all modules modules_install clean run shell test kunit check vm-test

all: modules

modules:
	@test -d "$(KDIR)" || { \
		echo "error: no kernel build tree at $(KDIR)" >&2; \
		echo "install linux-headers-$$(uname -r), or set KDIR=" >&2; \
		exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

modules_install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	rm -rf userspace-test/build

run:
	@bash scripts/vm.sh run

shell:
	@bash scripts/vm.sh shell

test:
	@bash scripts/test-all.sh

kunit:
	@bash scripts/kunit.sh

check:
	@bash scripts/static-checks.sh

vm-test:
	@bash scripts/vm.sh test
