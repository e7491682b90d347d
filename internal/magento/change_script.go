package magento

import (
	"strconv"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// lockName is the shared, advisory lock directory inside <root>/var: every web node
// that mounts the root sees it.
const lockName = ".tf-magento-dmt.lock"

// Paths in a Magento root, relative to it, that the apply backs up; the tool's
// directory also reaches the read and the apply scripts as tool_dir.
const (
	fileRootJSON = "composer.json"
	fileLock     = "composer.lock"
	dirDMT       = "vendor/magento/data-migration-tool"
)

// backedUp is what an archive holds and a restore puts back, relative to the root.
// vendor/composer carries installed.json and the autoloader, which must match vendor/.
var backedUp = []string{fileRootJSON, fileLock, "vendor/composer", dirDMT}

// SetupBackupItems are the parts `bin/magento setup:backup` can back up.
var SetupBackupItems = []string{"code", "db", "media"}

// ChangeParams is one apply on one root.
type ChangeParams struct {
	Root string
	// Remove runs composer remove instead of require.
	Remove bool
	// Target is the exact version for require.
	Target string
	// BackupDir holds the archives; empty is the root's private state directory. Either
	// way it must be private (StrictModes' rule) or the apply refuses.
	BackupDir string
	// StateBase replaces the default base of the private state directories
	// (/var/lib/terraform-provider-magento for root, the XDG state home otherwise).
	StateBase     string
	Keep          int
	SetupBackup   []string // code, db, media
	PreservePaths []string // relative to the tool's directory
	// CarryCustomFiles copies every file of the old tool directory that the new release
	// does not ship into the new version.
	CarryCustomFiles bool
	// What the plan was made against; the apply refuses before touching anything when
	// the host differs (a saved plan applied after Magento or the tool changed). Checked
	// inside the apply's lock before the backup (and by Converge's read before the
	// script, unless the plan made an upgrade against known versions), and again after
	// the wait for the host's Composer slot when the shop's Composer files changed
	// during it. Empty ExpectMagento, or CheckInstalled false, skips that comparison.
	ExpectMagento   string
	ExpectInstalled string
	CheckInstalled  bool
	// HostSlots is per_host_parallelism: the apply takes one of this many Composer slots
	// on the host, which every apply of the applying user there shares, and waits while
	// all are held (apply_slots.sh). 0 takes none.
	HostSlots int
	// OnSlot, when set, hears of that slot as the apply waits for it and takes it.
	OnSlot func(SlotNews)
}

// changeScript renders the apply script: the values, then its parts in order
// (apply_owner.sh, apply_lock.sh, apply_slots.sh, apply_archive.sh, apply_restore.sh,
// change.sh).
// Every value is quoted; what runs as the shop's owner travels as owner_lib.
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
	php := e.php()
	var b strings.Builder
	b.WriteString("IFS= read -r auth\n") // the credentials, first on stdin (Exec.stdin)
	b.WriteString(assign("root", p.Root, "mode", mode, "target", p.Target, "backup_dir", strings.TrimSuffix(p.BackupDir, "/"),
		"state_base", p.StateBase, "root_id", RootID(p.Root), "run_as", e.RunAs,
		"archive_prefix", ArchivePrefixFor(p.Root), "keep", strconv.Itoa(p.Keep), "php", php, "setup_backup", strings.Join(flags, " "),
		"backed_up", strings.Join(backedUp, " "), "carry", carry, "package", Package, "tool_dir", dirDMT, "lock_name", lockName,
		"tree_awk", compact(processTreeAWK), "owner_lib", ownerLib(e),
		"expect_magento", p.ExpectMagento, "expect_installed", p.ExpectInstalled, "check_installed", strconv.FormatBool(p.CheckInstalled),
		"slots", strconv.Itoa(p.HostSlots)))
	b.WriteString("set --")
	for _, path := range p.PreservePaths {
		b.WriteString(" " + shell.Quote(path))
	}
	b.WriteString("\n")
	b.WriteString(applyParts)
	return b.String()
}

// ownerLib is what runs as the shop's owner: owner_tasks.sh and what it needs.
func ownerLib(e Exec) string {
	return assign("php", e.php(), "package", Package, "tool_dir", dirDMT, "moved_on_php", movedOnPHP, "section_php", sectionPHP,
		"survey_awk", compact(grepPairsAWK+surveyAWK)) +
		extractPrelude + e.composerFunctionIn(`"$root"`) + ownerTasks
}
