package magento

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// parseChange reads the apply script's report (the kinds in changeLines): what the
// apply did, and, when it printed @fail, the failure with what became of the root.
func parseChange(out []byte, p ChangeParams) (ChangeResult, *ChangeError) {
	var (
		res         ChangeResult
		failed      *ChangeError
		output      []string
		restored    bool
		unchanged   bool
		filesSame   bool
		restoreErr  string
		maintenance string
		differs     []string
		carried     []string
		owed        string
		guessed     bool
		notOwned    []string
		moved       string
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		tag, rest, _ := strings.Cut(sc.Text(), " ")
		switch tag {
		case "@current":
			res.Previous = rest
		case "@installed":
			res.Installed, res.complete = rest, true
		case "@backup":
			res.Archive = rest
		case "@warning":
			res.Warnings = append(res.Warnings, rest)
		case "@pruned":
			res.Pruned = append(res.Pruned, rest)
		case "@carried":
			carried = append(carried, rest)
		case "@output":
			output = append(output, rest)
		case "@fail":
			step, detail, _ := strings.Cut(rest, " ")
			failed = &ChangeError{Step: step, Detail: detail, Target: p.Target, Mode: "require"}
		case "@restored":
			restored = true // the restore after a failure succeeded
		case "@restore-failed":
			restoreErr, restored = rest, false // a later restore failed: an earlier one does not count
		case "@owed":
			owed = rest
		case "@owed-restored":
			owed = "" // the owed restore ran: nothing is owed any more
		case "@liveness-unknown":
			guessed = true
		case "@files-unchanged":
			filesSame = true // setup:backup ran, composer did not
		case "@maintenance":
			maintenance = rest
		case "@differs":
			differs = append(differs, rest)
		case "@not-owned":
			notOwned = append(notOwned, rest)
		case "@moved":
			moved = rest
		case "@owner":
			res.Owner = rest
		case "@unchanged":
			unchanged = true // printed instead of a restore: nothing had been changed yet
		}
	}
	if len(carried) > 0 {
		res.Carried = carried
		res.Warnings = append(res.Warnings, fmt.Sprintf("Carried %d file(s) that the new release does not ship from the old tool directory into the new version "+
			"(custom map and config files; the archive %s holds them too): %s. Set carry_custom_files = false to leave them out.",
			len(carried), res.Archive, strings.Join(carried, ", ")))
	}
	if moved != "" {
		old, now, _ := strings.Cut(moved, " ")
		res.Moved = moved
		res.Warnings = append(res.Warnings, fmt.Sprintf("magento_root resolved to %s when the apply started and to %s at its end (a deploy switched it): "+
			"this apply changed %s only; the next plan reads the new directory", old, now, old))
	}
	if failed == nil {
		return res, nil
	}
	if p.Remove {
		failed.Mode = "remove"
	}
	failed.Archive, failed.Restored, failed.Unchanged, failed.FilesUnchanged = res.Archive, restored, unchanged, filesSame
	failed.RestoreFailure, failed.Maintenance, failed.Differs, failed.Owed = restoreErr, maintenance, differs, owed
	failed.LivenessUnknown = guessed
	failed.NotOwned, failed.Moved = notOwned, moved
	failed.Output = strings.Join(output, "\n")
	failed.Cause = causeFor(failed.Output)
	return res, failed
}
