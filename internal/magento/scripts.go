package magento

import (
	_ "embed"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// The remote scripts are files beside this one: POSIX sh that `make lint` checks with
// shellcheck, and awk programs. Each file says at its top what it prints and which
// values the renderers here set before it. Comments and blank lines are dropped when
// a script is sent: every read sends its script over SSH.
var (
	//go:embed extract.sh
	extractSH string
	//go:embed read.sh
	readSH string
	//go:embed discover.sh
	discoverSH string
	//go:embed apply_owner.sh
	applyOwnerSH string
	//go:embed apply_lock.sh
	applyLockSH string
	//go:embed apply_slots.sh
	applySlotsSH string
	//go:embed apply_archive.sh
	applyArchiveSH string
	//go:embed apply_restore.sh
	applyRestoreSH string
	//go:embed change.sh
	changeSH string
	//go:embed owner_tasks.sh
	ownerTasksSH string
	//go:embed releases.sh
	releasesSH string
	//go:embed releases_kept.sh
	releasesKeptSH string
	//go:embed releases_slot.sh
	releasesSlotSH string
	//go:embed repositories.sh
	repositoriesSH string
	//go:embed moved_on.php
	movedOnPHP string
	//go:embed section.php
	sectionPHP string
	//go:embed survey.awk
	surveyAWK string
	//go:embed run_as.sh
	runAsSH string
	//go:embed composer_exec.sh
	composerExecSH string
	//go:embed process_tree.awk
	processTreeAWK string
	//go:embed grep_pairs.awk
	grepPairsAWK string
	//go:embed extract.awk
	extractAWK string
	//go:embed pair.awk
	pairAWK string
	//go:embed batch.awk
	batchAWK string
)

// interesting is what the grep fast path looks for in composer.lock and installed.json.
const interesting = `"name": ?"magento/(product-[a-z0-9-]+-edition|magento2-base|magento2-ee-base|data-migration-tool)"`

// extractPrelude defines extract_packages (extract.sh) with the programs it runs.
var extractPrelude = assign("interesting", interesting, "extract_awk", compact(extractAWK), "pair_awk", compact(grepPairsAWK+pairAWK)) +
	compact(extractSH)

// readValues are what read.sh needs besides the roots.
var readValues = assign("package", Package, "tool_dir", dirDMT, "sep", "\x01", "batch_awk", compact(grepPairsAWK+batchAWK))

var (
	readBody         = compact(readSH)
	discoverBody     = compact(discoverSH)
	releasesBody     = compact(releasesSH)
	releasesKeptBody = compact(releasesKeptSH)
	// releasesSlotParts take one of the host's Composer slots, then list (releases_slot.sh).
	releasesSlotParts = compact(applyOwnerSH) + compact(applyLockSH) + compact(applySlotsSH) + compact(releasesSlotSH)
	repositoriesBody  = compact(repositoriesSH)
	runAsBody         = compact(runAsSH)
	composerExec      = compact(composerExecSH)
	// applyParts is the apply script after its values: who and where, the locks, the
	// host's Composer slots, the archives, the restores, then the sequence (change.sh).
	applyParts = compact(applyOwnerSH) + compact(applyLockSH) + compact(applySlotsSH) + compact(applyArchiveSH) + compact(applyRestoreSH) + compact(changeSH)
	ownerTasks = compact(ownerTasksSH)
)

// assign renders name=value shell assignments, one per line, every value quoted.
func assign(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(pairs[i] + "=" + shell.Quote(pairs[i+1]) + "\n")
	}
	return b.String()
}

// compact drops the comment lines and blank lines of a script. No script here has a
// line starting with # inside a string or a here-document.
func compact(script string) string {
	var b strings.Builder
	for line := range strings.Lines(script) {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}
