#!/bin/sh
# Stand-in for the cloud CLIs people write as ProxyCommand (aws, gcloud, tsh): it accepts
# only the argument shapes of the real commands, records each call next to itself, and
# carries stdin and stdout to the test's sshd on 127.0.0.1 at the port it was given.
set -eu
name=${0##*/}
fail() {
	echo "$name: not the arguments the real command takes: $*" >&2
	exit 2
}
port=
case "$name" in
aws)
	if [ $# -eq 8 ] && [ "$1 $2 $3" = "ssm start-session --target" ] && [ "$5 $6 $7" = "--document-name AWS-StartSSHSession --parameters" ]; then
		port=${8#portNumber=}
		[ "$8" = "portNumber=$port" ] || fail "$@"
	elif [ $# -eq 6 ] && [ "$1 $2 $3" = "ec2-instance-connect open-tunnel --instance-id" ] && [ "$5" = "--remote-port" ]; then
		port=$6
	fi
	;;
gcloud)
	if [ $# -ge 5 ] && [ "$1 $2" = "compute start-iap-tunnel" ] && [ "$5" = "--listen-on-stdin" ]; then
		port=$4
	fi
	;;
tsh)
	if [ $# -eq 5 ] && [ "$1 $2" = "proxy ssh" ] && [ "${3%%=*}" = "--cluster" ] && [ "${4%%=*}" = "--proxy" ]; then
		case "$5" in
		*@*:*) port=${5##*:} ;;
		esac
	fi
	;;
esac
case "$port" in
'' | *[!0-9]*) fail "$@" ;;
esac
printf '%s\n' "$name $*" >>"${0%/*}/calls"
exec busybox nc 127.0.0.1 "$port"
