# Bash tab completion for acq: command names, each command's options, and the words of choice options
# (--pace live|fast, --transport lsl|direct). File and folder arguments fall back to bash's own file completion.
#
#   source tools/acq-completion.bash          # this shell
#   echo "source $PWD/tools/acq-completion.bash" >> ~/.bashrc   # every shell
#
# It asks acq itself: acq "[suggest:N]" "LINE" prints the words that fit at cursor position N of LINE (the
# [suggest] directive of System.CommandLine), so completion always matches the acq being run. It completes the
# words "acq" and "./acq" as typed; add more with: complete -o default -F _acq_complete path/to/acq

_acq_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    # Settings (--Section:Key=value) are not completed; bash splits them at ':' and '=' anyway.
    case "$cur" in
        *:* | *=*) return 0 ;;
    esac
    local IFS=$'\n'
    local words
    # stderr off: ./acq may print "building..." on its first run. A failure simply completes nothing.
    words="$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" || return 0
    # Only words that continue what is typed; none left -> bash completes file names (-o default).
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -o default -F _acq_complete acq ./acq
