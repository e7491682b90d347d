package magento

import (
	"context"
	"errors"
	"fmt"
)

// ConvergeParams is one create/update: bring the tool at Root in sync with Magento
// (or with Pin).
type ConvergeParams struct {
	ChangeParams
	Pin string
	// PlannedTarget is the exact release the plan chose, which the apply installs (it
	// lists no releases). Empty: the plan found none for Magento's version.
	PlannedTarget string
	// WaitForRelease: when no release exists for Magento's version, change nothing and
	// report it as a warning instead of failing (on_missing_release = "warn").
	WaitForRelease bool
	// BeforeComposer, when set, is called once the root is known to be out of sync,
	// before the apply script. It returns the context the script runs in (the
	// provider's timeout, which stops while the host's slots are all held) and a
	// release called when it is over. An error ends the apply before anything starts.
	BeforeComposer func(ctx context.Context) (context.Context, func(), error)
	// PlannedEdition is Magento's edition as the plan read it. With it, an upgrade
	// planned against known versions (ExpectMagento, ExpectInstalled, a PlannedTarget
	// that differs) runs the apply script without a read first: the script checks both
	// versions itself, inside the lock, so the read would only repeat them.
	PlannedEdition string
}

// plannedUpgrade: the plan made an upgrade against versions it knew, which the apply
// script checks itself (ConvergeParams.PlannedEdition).
func (p ConvergeParams) plannedUpgrade() bool {
	return p.PlannedEdition != "" && p.ExpectMagento != "" && p.CheckInstalled && p.PlannedTarget != "" && p.PlannedTarget != p.ExpectInstalled
}

// staleMagento is StalePlanError.What when Magento's version changed.
const staleMagento = "Magento's version"

// StalePlanError is an apply refused because the host changed since the plan. Restored
// names the archive an interrupted apply's owed restore put back before the refusal
// (the shop changed then); empty, nothing was changed.
type StalePlanError struct{ What, Planned, Now, Restored string }

func (e *StalePlanError) Error() string {
	now := e.Now
	if now == "" {
		now = "absent"
	}
	planned := e.Planned
	if planned == "" {
		planned = "absent"
	}
	if e.Restored != "" {
		return fmt.Sprintf("%s changed since the plan was made: the plan expected %s, the host now has %s. "+
			"An interrupted apply's owed restore ran first: composer.json, composer.lock, vendor/composer and the tool's directory "+
			"were restored from %s; run terraform plan again and apply the new plan", e.What, planned, now, e.Restored)
	}
	return fmt.Sprintf("%s changed since the plan was made: the plan expected %s, the host now has %s. "+
		"Nothing was changed; run terraform plan again and apply the new plan", e.What, planned, now)
}

// Converge reads the root and, when the tool is out of sync, runs the apply script for
// the planned release. In sync already: nothing runs but the read (this is how create
// adopts an existing install). An upgrade planned against known versions runs the
// script alone (plannedUpgrade). It returns the installation as it is now.
func Converge(ctx context.Context, r Runner, e Exec, p ConvergeParams) (Installation, ChangeResult, error) {
	var err error
	inst := Installation{Root: p.Root, MagentoVersion: p.ExpectMagento, Edition: p.PlannedEdition, DMTVersion: p.ExpectInstalled}
	if !p.plannedUpgrade() {
		var inSync bool
		if inst, inSync, err = readBeforeApply(ctx, r, e, p); err != nil {
			return inst, ChangeResult{}, err
		}
		if inSync {
			return inst, ChangeResult{Previous: inst.DMTVersion, Installed: inst.DMTVersion}, nil
		}
	}
	if p.BeforeComposer != nil {
		var release func()
		if ctx, release, err = p.BeforeComposer(ctx); err != nil {
			return inst, ChangeResult{}, err
		}
		defer release()
	}
	target := p.PlannedTarget
	if target == "" { // the plan found no release for Magento's version: the apply lists none
		base, _ := Base(inst.MagentoVersion)
		missing := fmt.Sprintf("the plan found no %s release for Magento %s (Magento %s); nothing was changed", Package, base, inst.MagentoVersion)
		if p.WaitForRelease {
			return inst, ChangeResult{Previous: inst.DMTVersion, Installed: inst.DMTVersion, Warnings: []string{missing}}, nil
		}
		return inst, ChangeResult{}, errors.New(missing)
	}
	if inst.DMTVersion == target && !inst.OwedRestore {
		return inst, ChangeResult{Previous: inst.DMTVersion, Installed: inst.DMTVersion}, nil
	}
	p.Target, p.Remove = target, false
	res, err := Change(ctx, r, e, p.ChangeParams)
	var stale *StalePlanError
	if errors.As(err, &stale) && stale.What == staleMagento && stale.Now == "" && p.plannedUpgrade() {
		// The script found no Magento version where the plan saw one: the read says why
		// (no longer a Magento root, a file it cannot read).
		if _, readErr := Read(ctx, RunAs(r, e.RunAs), p.Root, nil); readErr != nil {
			return inst, res, readErr
		}
	}
	if err != nil {
		return inst, res, err
	}
	if res.Installed != target {
		return inst, res, fmt.Errorf("the apply reported version %q, expected %q", res.Installed, target)
	}
	inst.DMTVersion = res.Installed
	return inst, res, nil
}

// readBeforeApply reads the root and checks it against the plan; inSync when the tool
// is in sync already and no restore is owed (nothing to run).
func readBeforeApply(ctx context.Context, r Runner, e Exec, p ConvergeParams) (inst Installation, inSync bool, err error) {
	// Reads and listings run as run_as; the apply script runs as the SSH user and
	// touches the shop only as its owner (apply_owner.sh).
	if inst, err = Read(ctx, RunAs(r, e.RunAs), p.Root, nil); err != nil {
		return Installation{}, false, err
	}
	if p.ExpectMagento != "" && inst.MagentoVersion != p.ExpectMagento {
		return inst, false, &StalePlanError{What: staleMagento, Planned: p.ExpectMagento, Now: inst.MagentoVersion}
	}
	if p.CheckInstalled && inst.DMTVersion != p.ExpectInstalled {
		return inst, false, &StalePlanError{What: "The installed Data Migration Tool", Planned: p.ExpectInstalled, Now: inst.DMTVersion}
	}
	if inSync, err = InSync(inst.DMTVersion, inst.MagentoVersion, p.Pin); err != nil {
		return inst, false, err
	}
	return inst, inSync && !inst.OwedRestore, nil
}

// Remove backs up and runs composer remove (destroy).
func Remove(ctx context.Context, r Runner, e Exec, p ChangeParams) (ChangeResult, error) {
	p.Remove, p.Target = true, ""
	return Change(ctx, r, e, p)
}
