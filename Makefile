# memtrace - build, test, benchmark and install.
#
#   make            build ./memtrace (installs missing Debian packages when root)
#   make demo       build and trace the bundled spike workload
#   make test       build and run the whole test suite (unit + integration)
#   make test-kernels  the kernel matrix: the guest-side tests on Debian's kernels in qemu
#                   (KERNELS="bullseye sid" picks some; ARCH=arm64 the arm64 ones)
#   make ARCH=arm64 cross-build .output-arm64/memtrace and the workloads
#   make bench      overhead and accuracy benchmark (interleaved runs, medians)
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make soak       memtrace -a under churn for SOAK_SECONDS (default 600)
#   make install    PREFIX=/usr/local DESTDIR= (binary, man page, completion, unit, rules)
#   make deb        .output/memtrace_<version>_<arch>.deb (ARCH=arm64: the arm64 one)
#   make image      .output/memtrace-<version>-oci.tar, the DaemonSet's OCI image
#   make clean
#   V=1 shows the full commands; SANITIZE=1 builds userspace with ASan+UBSan.

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
# ARCH=arm64 on an x86 machine: a cross build, with Debian's aarch64
# toolchain and the arm64 libraries installed beside the native ones
# (multiarch), and the vmlinux.h of a Debian arm64 kernel's BTF
CROSS := $(if $(filter-out $(HOST_ARCH),$(ARCH)),1)
DEB_ARCH := $(if $(filter arm64,$(ARCH)),arm64,amd64)
# a sanitized or a cross build keeps its objects apart, so switching never mixes them
OUTPUT ?= .output$(if $(CROSS),-$(ARCH))$(if $(filter 1,$(SANITIZE)),-sanitize)
PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VMLINUX_H ?= $(OUTPUT)/vmlinux.h
ifeq ($(CROSS),1)
MULTIARCH := $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu,x86_64-linux-gnu)
CC := $(MULTIARCH)-gcc
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(MULTIARCH)/pkgconfig:/usr/share/pkgconfig pkg-config
# the BTF of Debian 13's kernel for that architecture (tools/fetch-kernel.sh),
# unless the environment names one (tools/build-deb.sh: the package's build)
ifneq ($(origin VMLINUX_BTF),environment)
VMLINUX_BTF := $(OUTPUT)/vmlinux.btf
endif
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# the version is the Debian package's; the commit is git's, or COMMIT's in
# the source tree `make deb` builds from (it has no .git)
VERSION := $(shell sed -n '1s/^memtrace .\([^ ]*\). .*/\1/p' debian/changelog)
COMMIT := $(shell cat COMMIT 2>/dev/null || git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)

LIBS_PC := libbpf libelf zlib json-c libdw libprotobuf-c libmicrohttpd capstone libcurl
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
	  $(CPPFLAGS) -I$(OUTPUT) -I$(OUTPUT)/src -Ibpf -Isrc $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null || echo -lbpf -lelf -lz -ljson-c -ldw -lprotobuf-c -lmicrohttpd -lcapstone -lcurl)
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -MMD -MP \
	      -I$(OUTPUT) -Ibpf

# maps.bpf.c first: it defines what the others declare extern; probe.bpf.c is
# a skeleton of its own (the loader's feature probe)
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c bpf/probe.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SRCS := $(wildcard src/*.c)
# the pprof encoder, generated from src/profile.proto by protoc-c
OBJS := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(SRCS)) $(OUTPUT)/src/profile.pb-c.o \
	$(OUTPUT)/src/html_template.o
# everything but main.c, for the unit tests
LIB_OBJS := $(filter-out $(OUTPUT)/src/main.o,$(OBJS))

WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(patsubst tests/workloads/%.c,$(OUTPUT)/workloads/%,$(WORKLOAD_SRCS))
# static builds run inside the test containers' busybox rootfs
WORKLOADS += $(OUTPUT)/workloads/grow-static
# the stack tests' workload with frame pointers (the plain build has none)
WORKLOADS += $(OUTPUT)/workloads/sites-fp
# libFuzzer targets over the parsers of untrusted text (clang's runtime: libclang-rt-dev)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS := src/util.c src/text.c src/procfs.c src/container.c src/cgroup.c src/runtime_state.c src/workload.c src/pylinetable.c
FUZZ_SECONDS ?= 60
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))

.PHONY: all deps demo test test-kernels bench fuzz soak install uninstall clean help workloads memtrace \
	build docs deb image FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: deps
	$(Q)$(MAKE) --no-print-directory $(if $(CROSS),$(OUTPUT)/memtrace workloads,memtrace docs)

deps:
	$(Q)tools/install-deps.sh $(if $(CROSS),build-$(DEB_ARCH),build)

# the binary and its manual page, nothing installed (debian/rules: Build-Depends did)
build: $(OUTPUT)/memtrace $(OUTPUT)/memtrace.1

# ./memtrace points at the build last made (plain or SANITIZE=1)
memtrace: $(OUTPUT)/memtrace
	$(Q)ln -sf $< $@

$(OUTPUT)/memtrace: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# what --version and memtrace_build_info say; rewritten only when it changed
$(OUTPUT)/build_version.h: FORCE | $(OUTPUT)
	$(Q)printf '#define MEMTRACE_VERSION "%s"\n#define MEMTRACE_COMMIT "%s"\n' '$(VERSION)' '$(COMMIT)' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(OUTPUT)/src/version.o: $(OUTPUT)/build_version.h

# the manual page, from its scdoc source
docs: $(OUTPUT)/memtrace.1

$(OUTPUT)/memtrace.1: docs/memtrace.1.scd | $(OUTPUT)
	$(call msg,SCDOC,$@)
	$(Q)scdoc < $< > $@

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/src $(OUTPUT)/workloads $(OUTPUT)/unit $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.btf: | $(OUTPUT)
	$(call msg,BTF,$@)
	$(Q)tools/kernel-btf.sh "$$(tools/fetch-kernel.sh trixie $(DEB_ARCH))" > $@

$(VMLINUX_H): $(if $(CROSS),$(VMLINUX_BTF)) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "make: $(VMLINUX_BTF) missing: memtrace needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/memtrace.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/memtrace.skel.h: $(OUTPUT)/memtrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memtrace_bpf > $@

$(OUTPUT)/probe.skel.h: $(OUTPUT)/bpf/probe.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memtrace_probe > $@

$(OUTPUT)/src/profile.pb-c.c $(OUTPUT)/src/profile.pb-c.h: src/profile.proto | $(OUTPUT)/src
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --c_out=$(OUTPUT)/src -Isrc $<

$(OUTPUT)/src/profile.pb-c.o: $(OUTPUT)/src/profile.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -Wextra,$(CFLAGS)) -I$(OUTPUT)/src -c $< -o $@

# the --html page, linked in as a string
$(OUTPUT)/src/html_template.o: src/html_template.S src/report.html | $(OUTPUT)/src
	$(call msg,AS,$@)
	$(Q)$(CC) -c $< -o $@

# every userspace object may include the skeletons through loader.h
$(OUTPUT)/src/%.o: src/%.c $(OUTPUT)/memtrace.skel.h $(OUTPUT)/probe.skel.h $(OUTPUT)/src/profile.pb-c.h | $(OUTPUT)/src
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# workloads: plain C with a known answer; -O1 keeps their loops honest
$(OUTPUT)/workloads/%: tests/workloads/%.c tests/workloads/workload.h | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $< -o $@

# sites, paths: Debian's default flags (-O2 -g, no frame pointers); sites-fp with them
$(OUTPUT)/workloads/sites $(OUTPUT)/workloads/paths: $(OUTPUT)/workloads/%: tests/workloads/%.c tests/workloads/workload.h | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

$(OUTPUT)/workloads/sites-fp: tests/workloads/sites.c tests/workloads/workload.h | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@

$(OUTPUT)/workloads/%-static: tests/workloads/%.c tests/workloads/workload.h | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -static -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $< -o $@

$(OUTPUT)/unit/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS) $(wildcard src/*.h) | $(OUTPUT)/fuzz
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-Isrc -Ibpf -I$(OUTPUT) $< $(FUZZ_LIB_SRCS) -ljson-c -o $@

workloads: $(WORKLOADS)

# every fuzzer for FUZZ_SECONDS, from the seed corpus; new inputs go to .output/fuzz/
fuzz: $(FUZZERS)
	$(Q)for f in $(FUZZERS); do \
		name=$$(basename $$f); mkdir -p $(OUTPUT)/fuzz/$$name.corpus; \
		$$f -max_total_time=$(FUZZ_SECONDS) $(OUTPUT)/fuzz/$$name.corpus tests/fuzz/corpus/* || exit 1; \
	done

demo: all workloads
	./memtrace -- $(OUTPUT)/workloads/spike 64 20

# the package and the image too, and the Debian roots (downloaded once):
# tests/integration/package.sh installs and runs them in Debian 12's, and
# tests/integration/python.sh runs Debian unstable's Pythons
test:
	$(Q)tools/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory memtrace docs workloads $(UNIT_TESTS) $(FUZZERS)
	$(Q)$(MAKE) --no-print-directory image
	$(Q)tools/debian-root.sh bookworm man-db $(DEB) > /dev/null
	$(Q)tools/python-root.sh > /dev/null
	$(Q)MEMTRACE_OUTPUT=$(OUTPUT) tests/run.sh $(TESTS)

# Debian's kernels (5.10, 6.1, 6.12, the newest) booted in qemu, the guest-side
# tests run in each (tests/kernels/run.sh); kernels cached under ~/.cache/memtrace
KERNELS ?=
test-kernels:
	$(Q)tools/install-deps.sh $(if $(CROSS),kernels-$(DEB_ARCH),kernels)
	$(Q)$(MAKE) --no-print-directory $(if $(CROSS),$(OUTPUT)/memtrace,memtrace) workloads
	$(Q)MEMTRACE_OUTPUT=$(OUTPUT) ARCH=$(DEB_ARCH) tests/kernels/run.sh $(KERNELS)

# memtrace -a for SOAK_SECONDS under process churn: its RSS flat, its map back to baseline
SOAK_SECONDS ?= 600
soak:
	$(Q)tools/install-deps.sh test
	$(Q)$(MAKE) --no-print-directory memtrace workloads
	$(Q)MEMTRACE_OUTPUT=$(OUTPUT) tools/soak.sh $(SOAK_SECONDS)

bench:
	$(Q)tools/install-deps.sh bench
	$(Q)$(MAKE) --no-print-directory memtrace workloads
	$(Q)tools/bench.sh

# the binary, its manual page, its bash completion, the systemd unit (whose
# ExecStart names the installed binary) and the Prometheus rules;
# debian/rules calls this too
COMPLETIONS_DIR = $(PREFIX)/share/bash-completion/completions
UNIT_DIR ?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
install: $(OUTPUT)/memtrace $(OUTPUT)/memtrace.1
	install -D -m 0755 $(OUTPUT)/memtrace $(DESTDIR)$(PREFIX)/bin/memtrace
	install -D -m 0644 $(OUTPUT)/memtrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/memtrace.1
	install -D -m 0644 completion/memtrace.bash $(DESTDIR)$(COMPLETIONS_DIR)/memtrace
	install -D -m 0644 deploy/prometheus/memtrace-rules.yml \
		$(DESTDIR)$(PREFIX)/share/memtrace/prometheus/memtrace-rules.yml
	install -d $(DESTDIR)$(UNIT_DIR)
	sed 's|/usr/local/bin/memtrace|$(PREFIX)/bin/memtrace|' deploy/memtrace.service \
		> $(DESTDIR)$(UNIT_DIR)/memtrace.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/memtrace $(DESTDIR)$(PREFIX)/share/man/man1/memtrace.1 \
		$(DESTDIR)$(COMPLETIONS_DIR)/memtrace $(DESTDIR)$(UNIT_DIR)/memtrace.service \
		$(DESTDIR)$(PREFIX)/share/memtrace/prometheus/memtrace-rules.yml

# .output/memtrace_<version>_<arch>.deb, built by dpkg-buildpackage from a
# copy of the source tree (it writes into debian/ and next to the tree);
# again when a source, or the commit --version names, changed
DEB := $(OUTPUT)/memtrace_$(VERSION)_$(DEB_ARCH).deb
DEB_SOURCES := $(wildcard Makefile src/* bpf/* docs/* completion/* debian/* debian/source/* \
	deploy/memtrace.service deploy/prometheus/* tools/build-deb.sh)
deb: $(DEB)

$(DEB): $(DEB_SOURCES) $(OUTPUT)/build_version.h
	$(Q)tools/install-deps.sh $(if $(CROSS),deb-$(DEB_ARCH),deb)
	$(call msg,DEB,$@)
	$(Q)tools/build-deb.sh $(DEB_ARCH) $(OUTPUT) '$(COMMIT)' > /dev/null

# .output/memtrace-<version>-oci.tar: the package's files and their libraries
# as an OCI image layout, entrypoint `memtrace serve` (the DaemonSet's image)
IMAGE := $(OUTPUT)/memtrace-$(VERSION)$(if $(CROSS),-$(DEB_ARCH))-oci.tar
image: $(IMAGE)

$(IMAGE): $(DEB) tools/build-image.sh
	$(Q)tools/install-deps.sh image
	$(call msg,IMAGE,$@)
	$(Q)tools/build-image.sh $(DEB_ARCH) $(DEB) $@ '$(COMMIT)' > /dev/null

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf .output .output-sanitize .output-arm64 memtrace

help:
	@sed -n '1,17p' Makefile

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/src/*.d $(OUTPUT)/unit/*.d)
