package terraformrun

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The plan Terraform makes before a destroy plan is recognised from Terraform's command
// line and environment, as Terraform parses them.
func TestDestroyCommandIsReadAsTerraformReadsIt(t *testing.T) {
	for _, tc := range []struct {
		argv, env []string
		want      bool
	}{
		{[]string{"terraform", "plan", "-destroy"}, nil, true},
		{[]string{"terraform", "-chdir=stacks/eu", "plan", "-destroy", "-out=tfplan"}, nil, true},
		{[]string{"tofu", "apply", "--destroy", "-auto-approve"}, nil, true},
		{[]string{"terraform", "destroy", "-auto-approve"}, nil, true},
		{[]string{"terraform", "plan", "-destroy=true"}, nil, true},
		{[]string{"terraform", "plan", "-destroy=false"}, nil, false},
		{[]string{"terraform", "plan", "-out=destroy"}, nil, false},
		{[]string{"terraform", "plan"}, []string{"TF_CLI_ARGS_plan=-destroy -lock=false"}, true},
		{[]string{"terraform", "apply"}, []string{"TF_CLI_ARGS=-destroy"}, true},
		{[]string{"terraform", "plan"}, []string{"TF_CLI_ARGS_apply=-destroy"}, false},
		{[]string{"terraform", "apply", "tfplan"}, nil, false},
		{[]string{"terraform", "plan", "-refresh-only"}, nil, false},
		{[]string{"terraform"}, nil, false},
	} {
		if got := destroyCommand(tc.argv, tc.env); got != tc.want {
			t.Errorf("destroyCommand(%q, %q) = %v, want %v", tc.argv, tc.env, got, tc.want)
		}
	}
}

// A run is its parent's PID and, where /proc shows it, the parent's start time: a PID
// reused by a later Terraform is another run.
func TestIDIsTheParentAndItsStart(t *testing.T) {
	ppid := strconv.Itoa(os.Getppid())
	id := ID()
	if _, err := os.Stat("/proc/" + ppid + "/stat"); err != nil {
		if id != ppid {
			t.Fatalf("ID() = %q without /proc, want %q", id, ppid)
		}
		return
	}
	if !regexp.MustCompile(`^` + ppid + `@[0-9]+$`).MatchString(id) {
		t.Fatalf("ID() = %q, want %s@<start time>", id, ppid)
	}
}
