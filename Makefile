# teachos: a teaching SMP kernel for x86_64.
#   make          build build/kernel.elf, the user programs and build/os.iso
#   make run      boot it in QEMU (SMP=4 MEM=256M MACHINE=pc|q35 CPU=... MODEL=... FIRMWARE=bios|uefi);
#                 the exit status says how the guest ended (tools/qemu.py)
#                 DISPLAY=gtk|sdl|vnc|vnc=:N: also show the screen console (docs/console.md)
#   make test     host unit tests + the in-kernel/user test matrix (tests/matrix.txt)
#                 + the proof of every lab's grader (make test-labs)
#   make test-full  host unit tests + the slow cells of tests/matrix-full.txt (-smp 64)
#   make debug    QEMU halted with a GDB stub; then: gdb -x tools/gdbinit
#   make bochs    boot the same ISO in Bochs, the second emulator (SMP=, MEM=; no disk)
#   make lab LAB=x DEST=dir   write the student tree of lab x (docs/labs/README.md)
#   make grade LAB=x  build, boot lab x's cells, print its checks and score
#   make test-labs  every grader: full marks here, fewer on each lab's stubs
#   make lockranks  print the lock-rank table (kernel/lockrank.h), and put it in docs/locks.md
#   make bench-smp  user/bin/bench at -smp 1 and -smp 2: rates and their ratio (a benchmark, no test)
#   make bench    the organisations' scaling sweep, model, plots, traces in build/bench/ (QUICK=1: a few minutes)
#   make SANITIZE=ubsan  build/ubsan/kernel.elf and os.iso: the kernel with UBSan (docs/debugging.md); the normal one stays
# Missing packages are installed by tools/deps.sh (apt-get; sudo when not root).

BUILD := build
MODEL ?= bkl
SMP ?= 4
MEM ?= 256M
MACHINE ?= pc
CPU ?= max
ACCEL ?= tcg
# bios (SeaBIOS) or uefi (OVMF): the same ISO boots on both.
FIRMWARE ?= bios
CMDLINE ?= model=$(MODEL)

CC := gcc
LD := ld
# Quiet by default; `make V=1` shows the full commands.
ifneq ($(V),1)
Q := @
endif
KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-omit-frame-pointer -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -Wall -Wextra -Werror -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-I. -Iarch/x86_64 -MMD -MP
KERNEL_ASFLAGS := -g -I. -Iarch/x86_64 -MMD -MP -D__ASSEMBLY__
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld

KERNEL_SRC := $(wildcard boot/*.S arch/x86_64/*.S arch/x86_64/*.c kernel/*.c kernel/model/*.c lib/*.c tests/kernel/*.c)
KERNEL_OBJ := $(patsubst %,$(BUILD)/obj/%.o,$(KERNEL_SRC))

HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -I.
# lib/string.c defines libc's names: tests/host/test_string.c includes it
# with the names changed instead of linking it.
HOST_LIB_SRC := $(filter-out lib/string.c,$(wildcard lib/*.c))
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
# Host tests of the Python tools (make bench's model and trace converter).
HOST_PY_TESTS := $(wildcard tests/host/test_*.py)

.PHONY: lab grade test-labs bench bench-leader all deps kernel user disk iso run debug bochs test test-full test-host clean lockranks bench-smp FORCE
all: iso disk

deps:
	@tools/deps.sh

# ---- kernel ----
$(BUILD)/obj/%.c.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# Two links: the first has an empty symbol table; its `nm` becomes the table
# of the second (tools/ksyms.sh). The table sits last in the image, so no
# other address moves; the check below makes sure of it.
$(BUILD)/kernel.stage1.elf: $(KERNEL_OBJ) $(BUILD)/obj/ksyms_empty.o linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/obj/ksyms_empty.o

$(BUILD)/obj/ksyms_empty.o: tools/ksyms.sh
	@mkdir -p $(dir $@)
	$(Q)tools/ksyms.sh /dev/null > $(BUILD)/ksyms_empty.S
	$(Q)$(CC) -c $(BUILD)/ksyms_empty.S -o $@

$(BUILD)/obj/ksyms.o: $(BUILD)/kernel.stage1.elf tools/ksyms.sh
	$(Q)tools/ksyms.sh $< > $(BUILD)/ksyms.S
	$(Q)$(CC) -c $(BUILD)/ksyms.S -o $@

$(BUILD)/kernel.elf: $(BUILD)/obj/ksyms.o $(BUILD)/kernel.stage1.elf
	@$(if $(Q),echo "  LD      $@ (with symbols)")
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/obj/ksyms.o
	@nm $(BUILD)/kernel.stage1.elf | grep -v -e ksym -e _kernel_end > $(BUILD)/nm.1; nm $@ | grep -v -e ksym -e _kernel_end > $(BUILD)/nm.2; \
	  cmp -s $(BUILD)/nm.1 $(BUILD)/nm.2 || { echo "ksyms: symbol addresses moved between links"; exit 1; }

kernel: $(BUILD)/kernel.elf

# ---- the sanitised kernel: make SANITIZE=ubsan (docs/debugging.md) ----
# build/ubsan/kernel.elf with -fsanitize=undefined: every check GCC 12's
# `undefined` group has for C, alignment included (x86 tolerates misaligned
# loads, C does not, and the fix is cheap: memcpy or a packed struct).
# Nothing is left out; the float checks are not in the group, and the kernel
# has no floating point (-mgeneral-regs-only). GCC's default recovery (no
# -fno-sanitize-recover) lets kernel/ubsan.c decide what follows a report:
# a panic in a test boot, otherwise each site once and on. A full build
# takes about 25 s on 2 busy cores; `make test` rebuilds only what changed.
# A sub-make with its own BUILD (objects, both ksyms links, the address
# check) so the normal kernel is untouched; kernel/ubsan.c itself is
# compiled without the checks, so a report cannot recurse into itself.
UBSAN_BUILD := $(BUILD)/ubsan
UBSAN_CFLAGS := -fsanitize=undefined
ifeq ($(KERNEL_SANITIZE),ubsan)
KERNEL_CFLAGS += $(UBSAN_CFLAGS) -DCONFIG_UBSAN=1
$(BUILD)/obj/kernel/ubsan.c.o: KERNEL_CFLAGS += -fno-sanitize=all
endif
.PHONY: ubsan-kernel
ubsan-kernel:
	@$(MAKE) --no-print-directory BUILD=$(UBSAN_BUILD) KERNEL_SANITIZE=ubsan SANITIZE= $(UBSAN_BUILD)/kernel.elf
$(UBSAN_BUILD)/kernel.elf: ubsan-kernel
	@true
ifeq ($(SANITIZE),ubsan)
.DEFAULT_GOAL := ubsan
endif
# make SANITIZE=ubsan: the kernel, the user programs, the disk and an ISO
# of the sanitised kernel to boot by hand (docs/debugging.md).
.PHONY: ubsan
ubsan: ubsan-kernel $(UBSAN_BUILD)/os.iso $(BUILD)/disk.img
$(UBSAN_BUILD)/os.iso: $(UBSAN_BUILD)/kernel.elf $(BUILD)/initrd.cpio tools/mkiso.sh $(BUILD)/cmdline.txt
	@$(if $(Q),echo "  ISO     $@")
	$(Q)tools/mkiso.sh $(UBSAN_BUILD)/kernel.elf $(BUILD)/initrd.cpio $@ '$(CMDLINE)'

# ---- user programs and the initrd archive ----
user: | deps
	@$(MAKE) --no-print-directory -C user BUILD=$(abspath $(BUILD))

$(BUILD)/initrd.cpio: user
	@true

# The SATA disk: ext2 over the same files, by e2fsprogs (tools/mkdisk.sh).
# `make run` and every test cell boot a fresh copy of it.
disk: $(BUILD)/disk.img
# The programs only the disk has are prerequisites too (looked at after
# `user` has rebuilt them): a change to one of them alone leaves the
# initrd as it was.
$(BUILD)/disk.img: $(BUILD)/initrd.cpio tools/mkdisk.sh $(wildcard $(BUILD)/user/disk-bin/*)
	$(Q)tools/mkdisk.sh $(BUILD)/user/initrd $@ $(BUILD)/user/disk-bin

# ---- bootable ISO ----
iso: $(BUILD)/os.iso
# The command line is a prerequisite too: `make run MODEL=fine` rebuilds
# the ISO when it differs from the last one.
$(BUILD)/cmdline.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@

# The screen: DISPLAY=gtk (a window), sdl, vnc or vnc=:N given on make's
# command line shows QEMU's screen, and the ISO asks GRUB for a framebuffer
# (GFXPAYLOAD, tools/mkiso.sh) so the kernel draws its console there. Only
# from the command line: DISPLAY in the environment is X11's. The payload
# is a prerequisite like the command line: a change rebuilds the ISO.
# make hands a command-line variable to its recipes' environment, so QEMU
# would see DISPLAY=gtk instead of X11's: the recipes give it back X11's,
# as $(shell) saw it when make started (make 4.4's $(shell) sees the
# command line's value: then QEMU gets none).
ifeq ($(origin DISPLAY),command line)
RUN_DISPLAY := $(DISPLAY)
GFXPAYLOAD ?= 1024x768x32
X11_DISPLAY := $(filter-out $(DISPLAY),$(shell printenv DISPLAY))
QEMU_ENV := DISPLAY='$(X11_DISPLAY)'
else
RUN_DISPLAY := none
endif
$(BUILD)/gfxpayload.txt: FORCE
	@mkdir -p $(BUILD)
	@echo '$(GFXPAYLOAD)' | cmp -s - $@ || echo '$(GFXPAYLOAD)' > $@

$(BUILD)/os.iso: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio tools/mkiso.sh $(BUILD)/cmdline.txt $(BUILD)/gfxpayload.txt
	@$(if $(Q),echo "  ISO     $@")
	$(Q)$(if $(GFXPAYLOAD),GFXPAYLOAD='$(GFXPAYLOAD)') tools/mkiso.sh $(BUILD)/kernel.elf $(BUILD)/initrd.cpio $@ '$(CMDLINE)'

# A fresh copy of the disk each time; DISK=none boots from the initrd alone,
# KEEP_DISK=1 keeps what the last run wrote (build/run-disk.img).
DISK ?= $(BUILD)/run-disk.img
run: iso disk
	@$(if $(KEEP_DISK),test -f $(BUILD)/run-disk.img ||) cp $(BUILD)/disk.img $(BUILD)/run-disk.img
	$(QEMU_ENV) python3 tools/qemu.py --iso $(BUILD)/os.iso --smp $(SMP) --mem $(MEM) --machine $(MACHINE) --cpu $(CPU) --accel $(ACCEL) --firmware $(FIRMWARE) --display '$(RUN_DISPLAY)' $(if $(filter none,$(DISK)),,--disk $(DISK))

debug: iso disk
	@cp $(BUILD)/disk.img $(BUILD)/run-disk.img
	$(QEMU_ENV) python3 tools/qemu.py --iso $(BUILD)/os.iso --smp $(SMP) --mem $(MEM) --machine $(MACHINE) --cpu $(CPU) --accel $(ACCEL) --firmware $(FIRMWARE) --gdb --display '$(RUN_DISPLAY)' $(if $(filter none,$(DISK)),,--disk $(DISK))

# The same ISO in Bochs (tools/bochs.py, docs/emulators.md): the serial
# console is this terminal; `halt` powers off. Bochs has no AHCI: no disk.
bochs: iso
	python3 tools/bochs.py --iso $(BUILD)/os.iso --smp $(SMP) --mem $(MEM)

# ---- tests ----
$(BUILD)/host/%: tests/host/%.c $(HOST_LIB_SRC) lib/string.c $(wildcard lib/*.h) tests/host/htest.h | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(HOST_CFLAGS) $< $(HOST_LIB_SRC) -o $@

# test_options compiles kernel/options.c in (see the file).
$(BUILD)/host/test_options: kernel/options.c kernel/options.h

test-host: $(HOST_TESTS)

# The sanitised kernel too: the @kernel=ubsan cells boot it (testrun.py finds
# it as ubsan/kernel.elf next to --kernel).
test: $(HOST_TESTS) $(BUILD)/kernel.elf $(UBSAN_BUILD)/kernel.elf $(BUILD)/initrd.cpio $(BUILD)/disk.img
	python3 tools/testrun.py --matrix tests/matrix.txt --kernel $(BUILD)/kernel.elf \
	  --initrd $(BUILD)/initrd.cpio --disk $(BUILD)/disk.img --host $(HOST_TESTS) $(HOST_PY_TESTS) \
	  --labs $(if $(FILTER),--filter $(FILTER))

# Cells too slow for `make test` (tests/matrix-full.txt, e.g. -smp 64).
test-full: $(HOST_TESTS) $(BUILD)/kernel.elf $(BUILD)/initrd.cpio $(BUILD)/disk.img
	python3 tools/testrun.py --matrix tests/matrix-full.txt --kernel $(BUILD)/kernel.elf \
	  --initrd $(BUILD)/initrd.cpio --disk $(BUILD)/disk.img --host $(HOST_TESTS) $(HOST_PY_TESTS) $(if $(FILTER),--filter $(FILTER))

# A benchmark, not a test (docs/testing.md): the table and build/bench/smp.csv.
bench-smp: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio
	python3 tools/bench-smp.py --kernel $(BUILD)/kernel.elf --initrd $(BUILD)/initrd.cpio

# The cost of forwarding a system call to the leader (docs/organisations.md):
# cycles per getpid under bkl and leader (forward=ipi, poll), and the leader's
# busy share with 1-3 followers calling; build/bench/leader.csv.
bench-leader: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio
	python3 tools/bench-leader.py --kernel $(BUILD)/kernel.elf --initrd $(BUILD)/initrd.cpio

# A benchmark, not a test: every organisation at -smp 1-8 under loadgen's
# dial, the primitives, the model, plots and traces (tools/bench.py's
# docstring says how to read them). Up to about 30 minutes; QUICK=1 a few.
bench: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio $(BUILD)/disk.img
	python3 tools/bench.py --kernel $(BUILD)/kernel.elf --initrd $(BUILD)/initrd.cpio \
		--disk $(BUILD)/disk.img --out $(BUILD)/bench $(if $(QUICK),--quick)

# ---- coursework labs (docs/labs/README.md, tools/lab.py) ----
LABS_LIST = $(patsubst tests/labs/%.lab,%,$(wildcard tests/labs/*.lab))
lab:
	@test -n "$(LAB)" -a -n "$(DEST)" || { echo "usage: make lab LAB=name DEST=dir (labs: $(LABS_LIST))"; exit 2; }
	python3 tools/lab.py make $(LAB) $(DEST)

grade: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio $(BUILD)/disk.img
	@test -n "$(LAB)" || { echo "usage: make grade LAB=name (labs: $(LABS_LIST))"; exit 2; }
	python3 tools/lab.py grade $(LAB) --kernel $(BUILD)/kernel.elf --initrd $(BUILD)/initrd.cpio --disk $(BUILD)/disk.img

# Each lab: full marks on this tree; its stripped tree builds, boots to the
# shell and scores less (LABS="a b" for some). Also part of `make test`.
test-labs: $(BUILD)/kernel.elf $(BUILD)/initrd.cpio $(BUILD)/disk.img
	python3 tools/lab.py prove $(LABS) --kernel $(BUILD)/kernel.elf --initrd $(BUILD)/initrd.cpio --disk $(BUILD)/disk.img

lockranks:
	@python3 tools/lockranks.py kernel/lockrank.h --update docs/locks.md

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
