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
}

// StalePlanError is an apply refused because the host changed since the plan.
type StalePlanError struct{ What, Planned, Now string }

func (e *StalePlanError) Error() string {
	now := e.Now
	if now == "" {
		now = "absent"
	}
	planned := e.Planned
	if planned == "" {
		planned = "absent"
	}
	return fmt.Sprintf("%s changed since the plan was made: the plan expected %s, the host now has %s. "+
		"Nothing was changed; run terraform plan again and apply the new plan", e.What, planned, now)
}

// Converge reads the root and, when the tool is out of sync, resolves the exact
// release, then runs the apply script. In sync already: nothing runs but the read (this
// is how create adopts an existing install). It returns the installation as it is now.
func Converge(ctx context.Context, r Runner, e Exec, p ConvergeParams) (Installation, ChangeResult, error) {
	// Reads and listings run as run_as; the apply script runs as the SSH user and
	// touches the shop only as its owner (apply_owner.sh).
	reader := RunAs(r, e.RunAs)
	inst, err := Read(ctx, reader, p.Root, nil)
	if err != nil {
		return Installation{}, ChangeResult{}, err
	}
	if p.ExpectMagento != "" && inst.MagentoVersion != p.ExpectMagento {
		return inst, ChangeResult{}, &StalePlanError{What: "Magento's version", Planned: p.ExpectMagento, Now: inst.MagentoVersion}
	}
	if p.CheckInstalled && inst.DMTVersion != p.ExpectInstalled {
		return inst, ChangeResult{}, &StalePlanError{What: "The installed Data Migration Tool", Planned: p.ExpectInstalled, Now: inst.DMTVersion}
	}
	inSync, err := InSync(inst.DMTVersion, inst.MagentoVersion, p.Pin)
	if err != nil {
		return inst, ChangeResult{}, err
	}
	if inSync && !inst.OwedRestore {
		return inst, ChangeResult{Previous: inst.DMTVersion, Installed: inst.DMTVersion}, nil
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
	if err != nil {
		return inst, res, err
	}
	if res.Installed != target {
		return inst, res, fmt.Errorf("the apply reported version %q, expected %q", res.Installed, target)
	}
	inst.DMTVersion = res.Installed
	return inst, res, nil
}

// Remove backs up and runs composer remove (destroy).
func Remove(ctx context.Context, r Runner, e Exec, p ChangeParams) (ChangeResult, error) {
	p.Remove, p.Target = true, ""
	return Change(ctx, r, e, p)
}
