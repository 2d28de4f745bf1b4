# docs.sh - what a user reads and types: the man page (rendered by man, no
# warnings), --help, --version (a bug report's first lines) and the bash
# completion, loaded by bash-completion the way an interactive shell does.
# (test_parsers checks that every option of the parser is in both texts.)

test_man_page_renders_without_warnings() {
	local warnings
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$OUT/memtrace.1" 2>&1 > man.txt)
	[ -z "$warnings" ] || fail "man --warnings: $warnings"
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
		grep -q "^$section\$" man.txt || fail "no $section section"
	done
	grep -q "memtrace.report/1" man.txt || fail "the JSON schema is not described"
}

test_help() {
	"$MEMTRACE" --help > help.txt
	grep -q '^usage: memtrace \[OPTIONS\] -- CMD' help.txt || fail "no usage line"
	grep -q -- '--margin PCT .*peak + PCT% (default 20)' help.txt || fail "--margin: $(grep -- --margin help.txt)"
	! grep -q '%%' help.txt || fail "a doubled %: $(grep '%%' help.txt)"
	awk 'length > 80 { bad = 1; print } END { exit bad }' help.txt || fail "lines wider than 80 columns"
}

test_version_says_what_a_bug_report_needs() {
	require_bpf
	"$MEMTRACE" --version > version.txt
	cat version.txt
	local version commit libbpf
	version=$(package_version)
	assert_eq "version" "$(sed -n 1p version.txt)" "memtrace $version"
	if git -C "$ROOT" rev-parse --git-dir > /dev/null 2>&1; then
		commit=$(git -C "$ROOT" describe --always --dirty --abbrev=12)
		# built from the tree as it is now, or as it was at the build
		grep -q "^commit: ${commit%-dirty}" version.txt || fail "commit: $(grep commit version.txt) vs $commit"
	fi
	libbpf=$(dpkg-query -W -f '${Version}' libbpf1 | sed 's/^[0-9]*://; s/-.*//')
	grep -q "^libbpf: v[0-9.]* (libbpf.so.$libbpf)\$" version.txt || fail "libbpf: $(grep libbpf version.txt) vs $libbpf"
	grep -q "^kernel: $(uname -r) $(uname -m)\$" version.txt || fail "no kernel line"
	for line in "BTF: yes" "ring buffer: yes" "tracepoint kmem:rss_stat: yes" \
		"tracepoint sched:sched_process_exit: yes"; do
		grep -q "^$line" version.txt || fail "no '$line'"
	done
	# without privileges: what it cannot probe, it says so
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MEMTRACE" --version > unprivileged.txt
	grep -q "^ring buffer: unknown (needs root)" unprivileged.txt || fail "unprivileged: $(cat unprivileged.txt)"
}

# COMPREPLY for a command line typed up to its end, in an interactive bash
# with bash-completion and memtrace's completion loaded
complete_line() {
	bash --norc -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		read -r -a COMP_WORDS <<< "$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2 COMP_POINT=${#2}
		_memtrace memtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$ROOT/completion/memtrace.bash" "$1"
}

test_bash_completion() {
	[ -r /usr/share/bash-completion/bash_completion ] || fail "bash-completion is not installed"
	mkdir bin && ln -s "$(readlink -f "$MEMTRACE")" bin/memtrace
	export PATH=$TMP/bin:$PATH
	assert_eq "subcommands" "$(complete_line 'memtrace ' | paste -sd' ')" "audit serve top"
	assert_eq "--by" "$(complete_line 'memtrace --by ' | paste -sd' ')" "cgroup container process workload"
	assert_eq "--unwind" "$(complete_line 'memtrace --unwind d' | paste -sd' ')" "dwarf"
	assert_eq "--sort" "$(complete_line 'memtrace top --sort ' | paste -sd' ')" "faults growth peak rss window"
	# every long option of --help, and PIDs (the last of a list) for -p
	complete_line 'memtrace --' > longs.txt
	"$MEMTRACE" --help | grep -o -- '--[a-z-]*' | sort -u > help-longs.txt
	comm -23 help-longs.txt longs.txt > missing.txt
	[ ! -s missing.txt ] || fail "not completed: $(paste -sd' ' missing.txt)"
	sleep 30 &
	local pid=$!
	complete_line "memtrace -p 1,$pid" | grep -qx "1,$pid" || fail "pid $pid not completed"
	complete_line "memtrace -p " | grep -qx 1 || fail "pid 1 not completed"
	kill "$pid"
	# after --, the command's own completion
	complete_line 'memtrace -- ech' | grep -qx echo || fail "the command is not completed"
}
