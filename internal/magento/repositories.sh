# shellcheck shell=sh
# Prints what release listings depend on, for roots 0 to count-1 (manifest_of N sets m
# to root N's composer.json): for each root a line "$mark N", its manifest, then a line
# holding only $sep and its auth.json when it has one, their lines each after a space;
# or the line "$mark N unreadable PATH" when the manifest or auth.json cannot be read.
# When the SSH user is root, who lists for a root is the owner of its manifest: then a
# line "$mark owners", the `ls -ld` lines of the manifests, a line "$mark uids" and
# their `ls -ldn` lines. Reads files only, and forks a fixed number of processes, none
# per root: on release day a host reads this for every shop it serves.
# A shop's web user writes its files, and may make its composer.json a symlink, whose
# `ls` line holds a target of its choosing: several roots are read together only when
# no manifest is a symlink. A symlinked manifest prints "$mark N link" instead, and is
# read again alone (links=1).
# Set by the renderer (releases.go): mark, sep, count, links, manifest_of.
# shellcheck disable=SC2154
uid=$(id -u)
printf '%s uid %s\n' "$mark" "$uid"
set --
n=0
while [ "$n" -lt "$count" ]; do
	manifest_of "$n"
	a=${m%/*}/auth.json
	if [ -h "$m" ] && [ "$links" != 1 ]; then
		printf '%s %s link\n' "$mark" "$n"
	elif [ ! -f "$m" ] || [ ! -r "$m" ]; then
		printf '%s %s unreadable %s\n' "$mark" "$n" "$m"
	elif [ -e "$a" ] && { [ ! -f "$a" ] || [ ! -r "$a" ]; }; then
		printf '%s %s unreadable %s\n' "$mark" "$n" "$a"
	elif [ -s "$a" ]; then
		set -- "$@" "i=$n" part=m "$m" part=a "$a"
	else
		set -- "$@" "i=$n" part=m "$m"
	fi
	n=$((n + 1))
done
[ "$#" -gt 0 ] || exit 0
# An empty auth.json is no auth.json, as for Composer's listing. Each line of a file is
# printed after a space: a shop's files cannot print a mark that would pass for another
# root's part. A file that cannot be opened after all (swapped since the tests above)
# fails its own root only.
awk -v mark="$mark" -v sep="$sep" 'BEGIN {
	for (a = 1; a < ARGC; a++) {
		arg = ARGV[a]
		if (arg ~ /^i=/) { i = substr(arg, 3); continue }
		if (arg ~ /^part=/) { part = substr(arg, 6); continue }
		body = ""
		while ((r = (getline line < arg)) > 0) body = body " " line "\n"
		close(arg)
		if (r < 0) { print mark " " i " unreadable " arg; continue }
		printf "%s\n%s", (part == "m" ? mark " " i : sep), body
	}
}' "$@"
if [ "$uid" = 0 ]; then
	printf '%s owners\n' "$mark"
	n=0
	set --
	while [ "$n" -lt "$count" ]; do
		manifest_of "$n"
		if [ -f "$m" ] && { [ ! -h "$m" ] || [ "$links" = 1 ]; }; then set -- "$@" "$m"; fi
		n=$((n + 1))
	done
	[ "$#" -gt 0 ] || exit 0
	# Each line after a space, as the files' lines: a symlink's target (read alone) may
	# hold newlines, but never a mark.
	# shellcheck disable=SC2012
	ls -ld -- "$@" 2>/dev/null | sed 's/^/ /'
	printf '%s uids\n' "$mark"
	# shellcheck disable=SC2012
	ls -ldn -- "$@" 2>/dev/null | sed 's/^/ /'
fi
exit 0
