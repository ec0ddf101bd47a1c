# bash completion for chacc: commands, each command's options (read from its
# --help, so they never drift), review and config subcommands, files and
# directories, and target names read from the recipe (no database, no chacc
# run: the recipe's 'targets:' and its includes are scanned with awk).
# Installed by 'make install'; or source it from ~/.bashrc.

# the target names of the recipe: $1 directory (-C), $2 recipe file (-f)
_chacc_targets()
{
	local dir=${1:-.} file=${2:-chacc.yml} inc f
	[[ $file = /* ]] || file=$dir/$file
	[[ -r $file ]] || return
	local -a files=("$file")
	# include: [a/*.yml, b.yml] or a block list under include:
	for inc in $(awk '
		/^include:/ { s = $0; sub(/^include:[ ]*/, "", s); gsub(/[][,"'\'']/, " ", s)
		              n = split(s, a, " "); for (i = 1; i <= n; i++) print a[i]; blk = 1; next }
		/^[^ #-]/ { blk = 0 }
		blk && /^[ ]*- / { s = $0; sub(/^[ ]*- /, "", s); gsub(/["'\'']/, "", s); print s }
	' "$file"); do
		for f in "${file%/*}"/$inc; do
			[[ -r $f ]] && files+=("$f")
		done
	done
	awk '
		/^[^ #]/ { intg = ($0 ~ /^targets:/); ind = -1; next }
		!intg { next }
		/^[ ]*- / {
			match($0, /^[ ]*/); if (ind < 0) ind = RLENGTH; if (RLENGTH != ind) next
			s = substr($0, RLENGTH + 3)
			if (s ~ /^\{/ && match(s, /name:[ ]*[^ ,}]+/)) { s = substr(s, RSTART, RLENGTH) }
			if (s ~ /^name:/) { sub(/^name:[ ]*/, "", s); sub(/[ #].*$/, "", s); gsub(/["'\'']/, "", s); print s }
			next
		}
		/^[ ]*name:/ { match($0, /^[ ]*/); if (RLENGTH == ind + 2) { s = $0; sub(/^[ ]*name:[ ]*/, "", s)
			sub(/[ #].*$/, "", s); gsub(/["'\'']/, "", s); print s } }
	' "${files[@]}" 2>/dev/null
}

_chacc()
{
	local cur prev cmd= dir= file= i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-C|--directory) dir=${COMP_WORDS[i+1]}; ((i++)); continue ;;
		-f|--file) file=${COMP_WORDS[i+1]}; ((i++)); continue ;;
		-*) continue ;;
		esac
		[[ -z $cmd ]] && { cmd=$w; continue; }
	done
	case $prev in
	-f|--file|--users)
		COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	-C|--directory)
		COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	-j|--workers|--jobs|-l|--limit|--since|--until|--last-updated|--rev|--bind|--port|--token|-m|--message|--older-than)
		return ;;
	--mode)
		COMPREPLY=($(compgen -W "incremental full-refresh forced scheduled" -- "$cur")); return ;;
	--result)
		COMPREPLY=($(compgen -W "running success failed interrupted" -- "$cur")); return ;;
	--exclude|--adopt)
		COMPREPLY=($(compgen -W "$(_chacc_targets "$dir" "$file")" -- "$cur")); return ;;
	esac
	if [[ -z $cmd ]]; then
		if [[ $cur = -* ]]; then
			COMPREPLY=($(compgen -W "-f --file -C --directory -h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(chacc --help 2>/dev/null |
				awk '/^commands:/ { c = 1; next } /^$/ { c = 0 } c { print $1 }')" -- "$cur"))
		fi
		return
	fi
	if [[ $cur = -* ]]; then
		COMPREPLY=($(compgen -W "$( (chacc "$cmd" --help 2>/dev/null |
			grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,'; echo --help) | sort -u)" -- "$cur"))
		return
	fi
	case $cmd in
	build|plan|status|graph|clean|test|profile)
		COMPREPLY=($(compgen -W "$(_chacc_targets "$dir" "$file")" -- "$cur")) ;;
	review)
		[[ $prev = review ]] && COMPREPLY=($(compgen -W "propose list show approve reject" -- "$cur"))
		[[ $prev = propose || ${COMP_WORDS[*]} = *" propose "* ]] &&
			{ COMPREPLY+=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; } ;;
	config)
		[[ $prev = config ]] && COMPREPLY=($(compgen -W "log diff" -- "$cur"))
		[[ $prev = log ]] && COMPREPLY=($(compgen -W "$(_chacc_targets "$dir" "$file")" -- "$cur")) ;;
	esac
}
complete -F _chacc chacc
