package magento

import (
	"fmt"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// ChangeError is a failed apply. Restored tells whether the host was put back from
// Archive; Unchanged, that nothing had been changed yet when it failed; FilesUnchanged,
// that composer.json, composer.lock and the tool were untouched but something else ran
// (setup:backup). None of them while Archive is set: the restore failed, and
// RestoreFailure says how the root was left. Output is Composer's (or Magento's) last lines.
type ChangeError struct {
	Step            string // lock, backup, setup-backup, composer, verify, interrupted, ...
	Detail          string
	Archive         string
	Restored        bool
	Unchanged       bool
	FilesUnchanged  bool
	RestoreFailure  string
	Maintenance     string // after an interrupted setup:backup: "off" (turned off again) or "left-on"
	Differs         []string
	LivenessUnknown bool     // whether the holder runs cannot be told (no machine id or boot id): held
	Owed            string   // the archive a restore is owed from, when the apply could not run it
	NotOwned        []string // paths Composer must replace that the owner does not own
	Output          string
	Moved           string // the configured root resolved to another directory at the end ("OLD NEW")
	Cause           string
	Mode            string
	Target          string
	Err             error // the transport's error (cancelled, timed out, connection lost), if any
}

func (e *ChangeError) Unwrap() error { return e.Err }

func (e *ChangeError) Error() string {
	var b strings.Builder
	holder, lock := splitHolder(e.Detail)
	clearLock := "rm -rf " + shell.Quote(lock)
	switch e.Step {
	case "locked":
		if holder == "" {
			fmt.Fprintf(&b, "another apply holds the lock on this Magento root: %s. Wait for it to finish", lock)
		} else {
			fmt.Fprintf(&b, "another apply holds the lock on this Magento root: %s (PID, host, start time), lock %s. Wait for it to finish", holder, lock)
			if e.LivenessUnknown {
				fmt.Fprintf(&b, ". Whether that apply still runs cannot be told here (this host or that apply has no machine id or boot id "+
					"in /etc/machine-id and /proc), so the lock is held: once you have checked that no apply is running, remove it with: %s", clearLock)
			}
		}
	case "lock-foreign":
		fmt.Fprintf(&b, "the Magento root is locked by an apply on another host: %s (PID, host, start time). "+
			"A lock of another host (or of another machine or container with the same host name) is never taken over: the root may be shared by several web nodes. "+
			"Once you have checked on that host that no apply is running, remove the lock with: %s", holder, clearLock)
	case "slot-unknown":
		fmt.Fprintf(&b, "a Composer slot of this host (per_host_parallelism) is held by %s (PID, host, start time), and whether that apply still runs "+
			"cannot be told here: it ran on another machine or in another container. Waiting for it could be forever. "+
			"Once you have checked that no apply is running there, free the slot with: %s", holder, clearLock)
	case "slot-ownerless":
		fmt.Fprintf(&b, "the Composer slot %s of this host (per_host_parallelism) names no holder (its owner file is missing or empty), and has for over a minute: "+
			"an apply that ran out of disk, or an older release of this provider, left it. Once you have checked that no apply is running on this host, "+
			"remove it with: rm -rf %s", e.Detail, shell.Quote(e.Detail))
	case "lock-unknown":
		fmt.Fprintf(&b, "the lock %s exists but names no holder (its owner file is missing or unreadable). "+
			"Once you have checked that no apply is running on any host that shares this root, remove it with: rm -rf %s", e.Detail, shell.Quote(e.Detail))
	case "private":
		writePrivate(&b, e.Detail)
	case "not-owner":
		writeNotOwner(&b, e.Detail)
	case "not-owned":
		fmt.Fprintf(&b, "Composer runs as the shop's owner %s, who does not own these paths it must replace (left by an earlier Composer run as root?): %s. "+
			"Give them back to the owner with: chown -R %s %s", e.Detail, strings.Join(e.NotOwned, ", "), shell.Quote(strings.TrimPrefix(e.Detail, "#")), strings.Join(quoteAll(e.NotOwned), " "))
	case "sudo":
		user, why, _ := strings.Cut(e.Detail, " ")
		fmt.Fprintf(&b, "the apply runs Composer and bin/magento as the shop's owner %s through sudo -n, which refused (%s). "+
			"Allow it without a password (a sudoers rule such as: <ssh user> ALL=(%s) NOPASSWD: ALL), or set run_as", user, why, strings.TrimPrefix(user, "#"))
	case "owner-unclear":
		owner, part, _ := strings.Cut(e.Detail, " ")
		fmt.Fprintf(&b, "run_as is unset, so the apply would act as the owner of composer.json (%s), but %s belongs to another user: "+
			"the shop's owner is unclear, and shop code must never run with more rights than the shop's owner has. Set run_as to the user the shop runs as (PHP-FPM's)", owner, part)
	case "no-root":
		fmt.Fprintf(&b, "the Magento root %s cannot be entered", e.Detail)
	case "no-composer-json":
		fmt.Fprintf(&b, "%s is missing: this is not a Composer-managed Magento root", e.Detail)
	case "legacy-lock":
		fmt.Fprintf(&b, "the lock %s was left by an interrupted apply of an earlier version of this provider, which kept its restore record there", e.Detail)
		if e.Owed != "" {
			fmt.Fprintf(&b, " and owes a restore from %s (an archive this provider wrote, in a directory others could write: check it first)", e.Owed)
		}
		fmt.Fprintf(&b, ". Restore by hand if needed (tar -xzf <archive> -C <magento_root>), then remove the lock with: rm -rf %s", shell.Quote(e.Detail))
	case "moved-on":
		started, record, _ := strings.Cut(e.Detail, " ")
		fmt.Fprintf(&b, "an apply interrupted at %s left a restore owed (%s), but the Magento root has moved on since: "+
			"composer.json or composer.lock differ from that apply's backup beyond the tool's own entries (%s). "+
			"Restoring it would revert later work. Check the root, then remove the record with: rm %s",
			started, record, strings.Join(e.Differs, "; "), shell.Quote(record))
	case "owed-elsewhere":
		f := strings.SplitN(e.Detail, " ", 3)
		if len(f) == 3 {
			fmt.Fprintf(&b, "an apply interrupted at %s owes a restore of %s, but magento_root now resolves to another directory (a deploy switched it). "+
				"The restore is not applied to the new directory. Restore %s by hand if it is still in use (the archive is named in %s), then remove the record with: rm %s",
				f[0], f[1], f[1], f[2], shell.Quote(f[2]))
		} else {
			fmt.Fprintf(&b, "a restore is owed for another directory: %s", e.Detail)
		}
	case "owed-missing":
		started, record, _ := strings.Cut(e.Detail, " ")
		fmt.Fprintf(&b, "an apply interrupted at %s owes a restore, but the archive its record %s names is gone or not a regular file of the applying user. "+
			"Check the root, restore by hand if needed, then remove the record with: rm %s", started, record, shell.Quote(record))
	case "restore-owed":
		fmt.Fprintf(&b, "restoring %s, left by an interrupted apply, failed: %s. The record of the owed restore stays, so the next apply tries again", e.Detail, e.RestoreFailure)
	case "check-failed":
		fmt.Fprintf(&b, "a restore is owed from an interrupted apply, but checking whether the Magento root has moved on since could not run: %s. "+
			"The record of the owed restore stays; fix the cause, then apply again", e.Detail)
	case "waited-changed":
		b.WriteString("composer.json, composer.lock, vendor/composer/installed.json or the tool's files changed while this apply waited for a Composer slot on the host " +
			"(per_host_parallelism): Composer did not run, so that change is kept, and the backup taken before the wait is not used for it. Run terraform plan and apply again")
	case "section":
		fmt.Fprintf(&b, "%s. Set php to the shop's PHP (its path on the host)", e.Detail)
	case "setup-backup-disabled":
		b.WriteString("magento_setup_backup is set but Magento's backup functionality is disabled (\"Backup functionality is currently disabled\"). " +
			"Enable it with `bin/magento config:set system/backup/functionality_enabled 1`, or remove magento_setup_backup")
	case "setup-backup":
		fmt.Fprintf(&b, "bin/magento setup:backup failed (%s)", e.Detail)
	case "backup":
		fmt.Fprintf(&b, "backing up failed: %s", e.Detail)
	case "disk-full":
		writeDiskFull(&b, e.Detail)
	case "composer":
		fmt.Fprintf(&b, "composer %s failed (%s)", e.command(), e.Detail)
	case "verify":
		fmt.Fprintf(&b, "after composer %s the installed version is %q, not %q", e.command(), e.Detail, e.Target)
	case "interrupted":
		b.WriteString("the apply was interrupted (cancelled, timed out or the connection dropped)")
		if e.Err != nil {
			b.WriteString(": " + e.Err.Error())
		}
	default:
		fmt.Fprintf(&b, "%s failed: %s", e.Step, e.Detail)
	}
	if e.Owed != "" && e.Step != "legacy-lock" && e.Step != "restore-owed" {
		fmt.Fprintf(&b, ". A restore is owed from %s (an apply on this host was interrupted after Composer changed files; "+
			"the next apply here runs it): before removing a lock by hand, check the root and restore if needed with: tar -xzf %s -C <magento_root>", e.Owed, e.Owed)
	}
	if e.Cause != "" {
		b.WriteString(". " + e.Cause)
	}
	switch e.Maintenance {
	case "off":
		b.WriteString(". bin/magento setup:backup was stopped inside maintenance mode; the shop was not in maintenance mode before, so it was turned off again")
	case "left-on":
		b.WriteString(". bin/magento setup:backup was stopped inside maintenance mode, and turning it off failed: the shop is still in maintenance mode. " +
			"Turn it off with: php bin/magento maintenance:disable")
	}
	switch {
	case e.Step == "restore-owed":
	case e.Unchanged && e.Archive == "":
		b.WriteString(". Nothing was changed")
	case e.Archive == "":
	case e.Restored:
		fmt.Fprintf(&b, ". composer.json, composer.lock, vendor/composer and the tool's directory were restored from %s", e.Archive)
	case e.Unchanged:
		fmt.Fprintf(&b, ". Nothing was changed; the backup is %s", e.Archive)
	case e.FilesUnchanged:
		fmt.Fprintf(&b, ". composer.json, composer.lock and the tool were not changed; the backup is %s", e.Archive)
	default:
		fmt.Fprintf(&b, ". RESTORE FAILED: %s. The record of the owed restore stays (and so does the lock other web nodes see), and the next apply on this host restores %s first; "+
			"or restore by hand with: tar -xzf %s -C <magento_root>", e.RestoreFailure, e.Archive, e.Archive)
	}
	if e.Output != "" {
		b.WriteString(".\nLast output:\n" + e.Output)
	}
	return b.String()
}

// writeDiskFull explains "NEED AVAIL WHAT DIR" (KiB): too little room for the archive
// in the backup directory, or for the new release next to the old one in vendor/.
func writeDiskFull(b *strings.Builder, detail string) {
	f := strings.SplitN(detail, " ", 4)
	if len(f) < 4 {
		fmt.Fprintf(b, "not enough free disk space: %s", detail)
		return
	}
	need, avail, what, dir := f[0], f[1], f[2], f[3]
	if what == "composer" {
		fmt.Fprintf(b, "the disk is full: %s has %s KiB free, and Composer needs about %s KiB (the tool's size again) to unpack the new release. "+
			"Free space on that filesystem, then apply again", dir, avail, need)
		return
	}
	fmt.Fprintf(b, "the disk is full: the backup directory %s has %s KiB free, and the archive needs up to %s KiB "+
		"(the size of composer.json, composer.lock, vendor/composer and the tool). Free space there, "+
		"or set backup { directory } to a filesystem with room", dir, avail, need)
}

// writePrivate explains "WHAT PATH UID USER MODE DIR": DIR (the state or backup
// directory) cannot be private because its component PATH is another user's, or
// writable by others, or cannot be made.
func writePrivate(b *strings.Builder, detail string) {
	f := strings.SplitN(detail, " ", 6)
	if len(f) < 6 {
		fmt.Fprintf(b, "the apply's private directory is not private: %s", detail)
		return
	}
	what, path, uid, user, mode, dir := f[0], f[1], f[2], f[3], f[4], f[5]
	name := "the apply's private state directory " + dir
	if what == "backup" {
		name = "the backup directory " + dir + " (backup { directory })"
	}
	switch mode {
	case "cannot-create":
		fmt.Fprintf(b, "%s cannot be created: mkdir %s failed", name, path)
	case "missing", "dangling-link":
		fmt.Fprintf(b, "%s cannot be used: %s is missing", name, path)
	case "not-ours":
		fmt.Fprintf(b, "%s is not owned by the applying user", name)
	default:
		fmt.Fprintf(b, "%s is not private: %s is owned by %s (uid %s) with mode %s. Archives and restore records live only where every directory "+
			"from / down is owned by root or the applying user and writable by no one else (OpenSSH's StrictModes rule), so that no one else "+
			"can plant or swap them. Fix it (chown / chmod go-w %s)", name, path, user, uid, mode, shell.Quote(path))
		if what == "backup" {
			b.WriteString(", or leave backup { directory } unset to keep the archives in the private state directory")
		}
	}
}

// writeNotOwner explains "OWNER USER PATH": the SSH user is neither root nor the shop's
// owner, and run_as is unset.
func writeNotOwner(b *strings.Builder, detail string) {
	f := strings.SplitN(detail, " ", 3)
	if len(f) < 3 {
		fmt.Fprintf(b, "the SSH user does not own the shop: %s", detail)
		return
	}
	fmt.Fprintf(b, "%s is owned by %s, and the SSH user %s is neither root nor that owner: the apply touches the shop only as its owner. "+
		"Set run_as = %q (through passwordless sudo) or connect as %s", f[2], f[0], f[1], f[0], f[0])
}

func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = shell.Quote(p)
	}
	return out
}

// splitHolder splits "PID HOST TIME LOCK" (LOCK may hold spaces) into the holder and
// the lock; a holder of "- - -" is unknown.
func splitHolder(detail string) (holder, lock string) {
	f := strings.SplitN(detail, " ", 4)
	if len(f) < 4 {
		return "", detail
	}
	if f[0] == "-" {
		return "", f[3]
	}
	return strings.Join(f[:3], " "), f[3]
}

func (e *ChangeError) command() string {
	if e.Mode == "remove" {
		return "remove " + Package
	}
	return "require " + Package + ":" + e.Target
}
