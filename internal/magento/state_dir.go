package magento

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// RootStateBase holds the private state directories of applies made as root; other
// users keep theirs under ${XDG_STATE_HOME:-$HOME/.local/state}/terraform-provider-magento.
const RootStateBase = "/var/lib/terraform-provider-magento"

// LegacyBackupSubdir is where versions before the private state directory kept their
// archives, below the Magento root (in var/, which the web user can write).
const LegacyBackupSubdir = "var/backups/data-migration-tool"

// StateDir is the private state directory of root under base: its archives (unless
// backup.directory moves them), its owed-restore record and its private lock.
func StateDir(base, root string) string {
	return strings.TrimSuffix(base, "/") + "/" + RootID(root)
}

// RootID names a root's private state directory: the hash in its archive names.
func RootID(root string) string {
	return strings.TrimSuffix(strings.TrimPrefix(ArchivePrefixFor(root), ArchivePrefix), "-")
}

// ArchivePrefix starts the name of every archive this provider writes; pruning only
// ever touches files with this prefix.
const ArchivePrefix = "tf-magento-dmt-"

// ArchivePrefixFor names the archives of one root: ArchivePrefix, then a short hash of
// the root's path, so roots that share a backup directory prune only their own.
func ArchivePrefixFor(root string) string {
	sum := sha256.Sum256([]byte(strings.TrimSuffix(root, "/")))
	return ArchivePrefix + hex.EncodeToString(sum[:4]) + "-"
}
