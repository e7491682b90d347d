package magento

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// ArchivePrefix starts the name of every archive this provider writes; pruning only
// ever touches files with this prefix.
const ArchivePrefix = "tf-magento-dmt-"

// ArchivePrefixFor names the archives of one root: ArchivePrefix, then a short hash of
// the root's path, so roots that share a backup directory prune only their own.
func ArchivePrefixFor(root string) string {
	sum := sha256.Sum256([]byte(strings.TrimSuffix(root, "/")))
	return ArchivePrefix + hex.EncodeToString(sum[:4]) + "-"
}

// lockName is the lock directory inside <root>/var: mkdir is atomic, so two applies
// on one root never both hold it.
const lockName = ".tf-magento-dmt.lock"

// backedUp is what an archive holds and a restore puts back, relative to the root.
// vendor/composer carries installed.json and the autoloader, which must match vendor/.
var backedUp = []string{fileRootJSON, fileLock, "vendor/composer", dirDMT}

// ChangeParams is one apply on one root.
type ChangeParams struct {
	Root          string
	Remove        bool   // composer remove instead of require
	Target        string // exact version for require
	BackupDir     string
	Keep          int
	SetupBackup   []string // code, db, media
	PreservePaths []string // relative to the tool's directory
	// CarryCustomFiles copies every file of the old tool directory that the new release
	// does not ship into the new version.
	CarryCustomFiles bool
}

// changeScript renders the apply script (change.sh); every value is quoted.
func changeScript(e Exec, p ChangeParams) string {
	mode := "require"
	if p.Remove {
		mode = "remove"
	}
	var flags []string
	for _, item := range p.SetupBackup {
		flags = append(flags, "--"+item) // items are validated against SetupBackupItems
	}
	carry := "0"
	if p.CarryCustomFiles {
		carry = "1"
	}
	var b strings.Builder
	b.WriteString("IFS= read -r auth\n") // the credentials, first on stdin (Exec.stdin)
	b.WriteString(assign("root", p.Root, "mode", mode, "target", p.Target, "backup_dir", strings.TrimSuffix(p.BackupDir, "/"),
		"archive_prefix", ArchivePrefixFor(p.Root), "keep", strconv.Itoa(p.Keep), "php", e.php(), "setup_backup", strings.Join(flags, " "),
		"backed_up", strings.Join(backedUp, " "), "carry", carry, "package", Package, "tool_dir", dirDMT, "lock_name", lockName,
		"moved_on_php", movedOnPHP, "section_php", sectionPHP))
	b.WriteString("set --")
	for _, path := range p.PreservePaths {
		b.WriteString(" " + shell.Quote(path))
	}
	b.WriteString("\n")
	b.WriteString(extractPrelude)
	b.WriteString(e.composerFunction(p.Root))
	b.WriteString(changeBody)
	return b.String()
}
