# bash completion for memtrace(1): subcommands, options (from `memtrace
# --help`, made from the parser's own table), option values and PIDs.
# Installed as /usr/share/bash-completion/completions/memtrace.

_memtrace()
{
	local cur prev words cword
	_init_completion -s || return

	case $prev in
	--by)
		COMPREPLY=($(compgen -W 'process cgroup container workload' -- "$cur"))
		return ;;
	--unwind)
		COMPREPLY=($(compgen -W 'fp dwarf auto' -- "$cur"))
		return ;;
	--sort)
		COMPREPLY=($(compgen -W 'rss peak window growth faults' -- "$cur"))
		return ;;
	-p | --pid)
		# PIDS is comma-separated: complete the last one
		local done=${cur%"${cur##*,}"}
		COMPREPLY=($(compgen -P "$done" -W '$(command ps -e -o pid= 2>/dev/null)' -- "${cur##*,}"))
		return ;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	--json | --timeline | --html | --folded | --folded-peak | --pprof)
		_filedir
		return ;;
	--cgroup)
		_filedir -d
		return ;;
	--container | --listen | --prometheus | --duration | -d | --interval | -i | \
		--iterations | -n | --margin | --window | --top | --resolution | --sample-bytes | \
		--big-bytes | --max-procs | --max-cgroups | --ringbuf-size | --keep | \
		--fail-tracepoint)
		return ;; # a value of the user's
	esac
	[[ $was_split ]] && return

	# after --, the command and its arguments
	local i
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_command_offset $((i + 1))
			return
		fi
	done

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '$(_parse_help "$1") --' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
	elif ((cword == 1)); then
		COMPREPLY=($(compgen -W 'top audit serve' -- "$cur"))
	fi
} &&
	complete -F _memtrace memtrace
