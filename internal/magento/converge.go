package magento

import (
	"context"
	"fmt"
)

// ConvergeParams is one create/update: bring the tool at Root in sync with Magento
// (or with Pin).
type ConvergeParams struct {
	ChangeParams
	Pin string
}

// Converge reads the root and, when the tool is out of sync, resolves the exact
// release, then runs the apply script. In sync already: nothing runs but the read (this
// is how create adopts an existing install). It returns the installation as it is now.
func Converge(ctx context.Context, r Runner, e Exec, p ConvergeParams) (Installation, ChangeResult, error) {
	r = RunAs(r, e.RunAs)
	inst, err := Read(ctx, r, p.Root, nil)
	if err != nil {
		return Installation{}, ChangeResult{}, err
	}
	inSync, err := InSync(inst.DMTVersion, inst.MagentoVersion, p.Pin)
	if err != nil {
		return inst, ChangeResult{}, err
	}
	if inSync {
		return inst, ChangeResult{Previous: inst.DMTVersion, Installed: inst.DMTVersion}, nil
	}
	releases, err := Releases(ctx, r, e, p.Root)
	if err != nil {
		return inst, ChangeResult{}, err
	}
	target, err := ResolveTarget(inst.MagentoVersion, p.Pin, releases)
	if err != nil {
		return inst, ChangeResult{}, err
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
	return Change(ctx, RunAs(r, e.RunAs), e, p)
}
