# Reads the lines of /proc/*/stat ("PID (COMMAND) STATE PPID ...") and prints the PIDs
# of every process below root (not root itself), one per line. The command name may
# hold spaces and parentheses.
{
  line = $0; sub(/.*\) /, "", line); split(line, field, " ")
  parent[$1] = field[2]
}
END {
  queue[1] = root; count = 1
  for (i = 1; i <= count; i++)
    for (p in parent)
      if (parent[p] == queue[i]) { queue[++count] = p; print p }
}
