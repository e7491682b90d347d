package magento

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// ChangeResult is what an apply did.
type ChangeResult struct {
	Previous  string   // version before ("" = absent)
	Installed string   // version after ("" = removed)
	Archive   string   // backup written by this apply; "" when nothing had to change
	Warnings  []string // stale lock taken over, preserve path missing, ...
	Pruned    []string
	Carried   []string // files of the old tool directory carried into the new version
	Owner     string   // the user the shop was touched as, when it was found from composer.json's owner
	Moved     string   // "OLD NEW": the configured root resolved to another directory at the end
	complete  bool     // the script reported its end (@installed)
}

// Change runs the apply script once: lock, back up, composer require/remove, verify,
// roll back on failure.
func Change(ctx context.Context, r Runner, e Exec, p ChangeParams) (ChangeResult, error) {
	stdin, err := e.stdin()
	if err != nil {
		return ChangeResult{}, err
	}
	label := "composer require " + Package
	if p.Remove {
		label = "composer remove " + Package
	}
	res, runErr := runChange(ctx, r, label, changeScript(e, p), stdin, p.OnSlot)
	result, changeErr := parseChange(res.Stdout, p)
	if changeErr != nil && changeErr.Step == "stale" && (changeErr.Unchanged || changeErr.Restored) {
		restored := ""
		if changeErr.Restored {
			restored = changeErr.Archive
		}
		what, now, _ := strings.Cut(changeErr.Detail, " ")
		if now == "-" {
			now = ""
		}
		if what == "magento" {
			return result, &StalePlanError{What: staleMagento, Planned: p.ExpectMagento, Now: now, Restored: restored}
		}
		return result, &StalePlanError{What: "The installed Data Migration Tool", Planned: p.ExpectInstalled, Now: now, Restored: restored}
	}
	if changeErr != nil {
		changeErr.Err = runErr
		return result, changeErr
	}
	switch {
	case runErr == nil:
		return result, nil
	case result.complete:
		// The script reported its end (the stop arrived while it pruned, which no
		// signal interrupts): the tool is as reported.
		result.Warnings = append(result.Warnings, fmt.Sprintf("The apply finished on the host before the stop reached it (%v); the tool is at %q.", runErr, result.Installed))
		return result, nil
	case isExit(runErr) || ctx.Err() != nil:
		// Died without a report: sudo refused, the shell failed, or cancelled before
		// the script reported.
		return result, fmt.Errorf("%w%s", runErr, causeHint(runErr))
	case result.Archive != "":
		// The connection dropped under the script. On the host it carries on: the
		// watchdog stops composer and the script restores its backup and unlocks.
		return result, fmt.Errorf("%w. The apply script on the host restores its backup %s when the connection drops; "+
			"the next apply re-reads the host (a lock left by an apply that was killed outright is taken over, and its backup restored first)",
			runErr, result.Archive)
	}
	return result, runErr
}

func isExit(err error) bool {
	var exit *shell.ExitError
	return errors.As(err, &exit)
}
